// Umbrella header for the ChatKit protocol types.
#pragma once

#include <chatkit/error.hpp>
#include <chatkit/protocol/attachment.hpp>
#include <chatkit/protocol/content.hpp>
#include <chatkit/protocol/events.hpp>
#include <chatkit/protocol/items.hpp>
#include <chatkit/protocol/json_io.hpp>
#include <chatkit/protocol/requests.hpp>
#include <chatkit/protocol/structured_input.hpp>
#include <chatkit/protocol/task.hpp>
#include <chatkit/protocol/thread.hpp>
#include <chatkit/protocol/timestamp.hpp>
#include <chatkit/protocol/widget.hpp>
