#include "server/detail/apply_update.hpp"

#include <chatkit/error.hpp>

#include <algorithm>

namespace chatkit::server::detail {
namespace {

namespace cp = chatkit::protocol;

// Index sanity: updates come from the host's own code, but a bad index must not allocate without bound.
constexpr std::int64_t max_index = 10'000;

cp::output_text& part_at(std::vector<cp::output_text>& content, std::int64_t index) {
  if (index < 0 || index > max_index)
    throw chatkit::error(chatkit::errc::internal, "content_index " + std::to_string(index) + " out of range");
  const auto i = static_cast<std::size_t>(index);
  if (content.size() <= i) content.resize(i + 1);
  return content[i];
}

struct assistant_visitor {
  cp::assistant_message_item& item;
  bool operator()(const cp::content_part_added& u) const {
    part_at(item.content, u.content_index) = u.content;
    return true;
  }
  bool operator()(const cp::content_part_text_delta& u) const {
    part_at(item.content, u.content_index).text.append(u.delta);
    return true;
  }
  bool operator()(const cp::content_part_annotation_added& u) const {
    auto& annotations = part_at(item.content, u.content_index).annotations;
    const auto at = static_cast<std::size_t>(
        std::clamp<std::int64_t>(u.annotation_index, 0, static_cast<std::int64_t>(annotations.size())));
    annotations.insert(annotations.begin() + static_cast<std::ptrdiff_t>(at), u.annotation);
    return true;
  }
  bool operator()(const cp::content_part_done& u) const {
    part_at(item.content, u.content_index) = u.content;
    return true;
  }
  template <class Other>
  bool operator()(const Other&) const {
    return false;
  }
};

struct workflow_visitor {
  cp::workflow_item& item;
  bool operator()(const cp::workflow_task_added& u) const {
    item.workflow.tasks.push_back(u.task);
    return true;
  }
  bool operator()(const cp::workflow_task_updated& u) const {
    if (u.task_index < 0 || static_cast<std::size_t>(u.task_index) >= item.workflow.tasks.size())
      return false;
    item.workflow.tasks[static_cast<std::size_t>(u.task_index)] = u.task;
    return true;
  }
  template <class Other>
  bool operator()(const Other&) const {
    return false;
  }
};

}  // namespace

bool apply_update(cp::thread_item& item, const cp::item_update& update) {
  if (auto* msg = std::get_if<cp::assistant_message_item>(&item))
    return std::visit(assistant_visitor{*msg}, update);
  if (auto* wf = std::get_if<cp::workflow_item>(&item)) return std::visit(workflow_visitor{*wf}, update);
  return false;
}

}  // namespace chatkit::server::detail
