// The REST API of the dashboard (examples/task_bot/API.md): /api/tasks and /api/tasks/{id}[/complete],
// mounted on a chatkit::http::server. Every route authenticates the caller; another user's task id is a
// 404 exactly like a missing one.
#pragma once

#include "access_control.hpp"
#include "task_service.hpp"

#include <chatkit/http/server.hpp>

#include <memory>

namespace task_bot {

void mount_task_api(chatkit::http::server& server, std::shared_ptr<task_service> tasks,
                    std::shared_ptr<const access_control> access);

// A JSON response with `status` (the REST answers and the page routes share it).
chatkit::http::response json_response(const chatkit::http::request& req, unsigned status, std::string body);

}  // namespace task_bot
