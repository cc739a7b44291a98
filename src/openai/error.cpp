#include <chatkit/openai/error.hpp>

#include "openai/detail/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <iterator>
#include <string_view>
#include <utility>

namespace chatkit::openai {
namespace {

// The message of every errc, in the enum's order.
constexpr std::string_view messages[] = {
    "ok",
    "bad request",
    "authentication failed",
    "permission denied",
    "not found",
    "conflict",
    "unprocessable entity",
    "rate limited",
    "internal server error",
    "unexpected HTTP status",
    "connection error",
    "timed out",
    "error event in stream",
    "stream truncated",
    "stream protocol error",
    "cancelled",
    "invalid argument",
};
static_assert(std::size(messages) == static_cast<std::size_t>(errc::invalid_argument) + 1);

// The statuses with an error kind of their own; other 5xx are internal_server, the rest api_status.
constexpr std::pair<int, errc> status_kinds[] = {
    {400, errc::bad_request}, {401, errc::authentication}, {403, errc::permission_denied},
    {404, errc::not_found},   {409, errc::conflict},       {422, errc::unprocessable_entity},
    {429, errc::rate_limit},
};

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "openai"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= std::size(messages)) return "unknown openai error";
    return std::string(messages[ev]);
  }
};

}  // namespace

const boost::system::error_category& openai_category() noexcept {
  static const category instance;
  return instance;
}

errc errc_from_status(int status) noexcept {
  if (status >= 200 && status < 300) return errc::ok;
  for (const auto& [code, kind] : status_kinds)
    if (code == status) return kind;
  return status >= 500 ? errc::internal_server : errc::api_status;
}

api_error::api_error(errc kind, error_details details)
    : boost::system::system_error(make_error_code(kind), details.message), details_(std::move(details)) {}

api_error::api_error(errc kind, std::string message, std::string request_id, std::string body)
    : api_error(kind, [&] {
        error_details d;
        d.message = std::move(message);
        d.request_id = std::move(request_id);
        d.body = std::move(body);
        return d;
      }()) {}

void parse_error_body(std::string_view body, error_details& out) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  const boost::json::object* err = nullptr;
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) err = &e->get_object();
  }
  if (err == nullptr) {
    out.message = std::string(body);
    return;
  }
  detail::read_error_fields(*err, out);
}

}  // namespace chatkit::openai
