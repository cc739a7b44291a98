// Applies thread.item.updated events to pending items the way clients do, so that the items a cancelled
// stream leaves behind hold what the client saw (private to the server layer; docs/server.md#cancellation).
#pragma once

#include <chatkit/protocol/events.hpp>

namespace chatkit::server::detail {

// Applies a thread.item.updated to an item the way clients do: content parts padded, text deltas
// appended, annotations inserted, parts replaced; workflow tasks appended/replaced. Other updates (widgets,
// images) leave the item unchanged. Returns false when the update does not apply to this item type.
bool apply_update(protocol::thread_item& item, const protocol::item_update& update);

}  // namespace chatkit::server::detail
