#include <chatkit/http/auth.hpp>

#include <iostream>

namespace chatkit::http {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

authenticate_fn jwt_bearer_auth(std::shared_ptr<const jwt_verifier> verifier) {
  if (!verifier) throw std::invalid_argument("jwt_bearer_auth: null verifier");
  return [verifier = std::move(verifier)](const request& req) {
    auto it = req.find(boost::beast::http::field::authorization);
    if (it == req.end()) throw error(errc::unauthorized, "missing bearer token");
    std::string_view value(it->value().data(), it->value().size());
    if (!iequals_prefix(value, "bearer ")) throw error(errc::unauthorized, "the Authorization header is not a bearer token");
    value.remove_prefix(7);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    auto r = verifier->verify(value);
    if (!r) throw error(errc::unauthorized, "invalid bearer token: " + r.error().message());
    return request_context{std::move(r->user_id), std::move(r->claims), nullptr};
  };
}

authenticate_fn dev_header_auth(std::string header, bool quiet) {
  if (header.empty()) throw std::invalid_argument("dev_header_auth: empty header name");
  if (!quiet)
    std::cerr << "chatkit: WARNING: dev-header authentication trusts the '" << header
              << "' request header as the user id. Anyone who can reach this server can act as any user;"
                 " use it only for local development or behind a gateway that sets the header.\n";
  return [header = std::move(header)](const request& req) {
    auto it = req.find(header);
    if (it == req.end() || it->value().empty()) throw error(errc::unauthorized, "missing " + header + " header");
    return request_context{std::string(it->value()), {}, nullptr};
  };
}

}  // namespace chatkit::http
