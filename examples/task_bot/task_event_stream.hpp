// GET /api/tasks/events: the signed-in user's task changes as server-sent events (API.md#event-stream),
// fed by the task_event_bus, with a comment heartbeat so that proxies keep idle streams open. The stream
// ends when the bus closes (shutdown) or the client goes away.
#pragma once

#include "access_control.hpp"
#include "task_event_bus.hpp"

#include <chatkit/http/server.hpp>

#include <chrono>
#include <memory>

namespace task_bot {

void mount_task_events(chatkit::http::server& server, std::shared_ptr<task_event_bus> bus,
                       std::shared_ptr<const access_control> access, std::chrono::milliseconds heartbeat);

}  // namespace task_bot
