#include <chatkit/http/cors.hpp>

#include <algorithm>
#include <stdexcept>

namespace chatkit::http {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

bool contains_ci(const std::vector<std::string>& list, std::string_view v) noexcept {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return iequals(s, v); });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

cors_policy::cors_policy(cors_options opts) : opts_(std::move(opts)) {
  for (const auto& o : opts_.allowed_origins) {
    if (o.empty()) throw std::invalid_argument("cors_options: empty origin");
    if (o == "*") any_origin_ = true;
  }
  if (any_origin_ && opts_.allow_credentials)
    throw std::invalid_argument("cors_options: the \"*\" origin cannot be combined with allow_credentials");
}

bool cors_policy::origin_allowed(std::string_view origin) const noexcept {
  if (origin.empty()) return false;
  return any_origin_ || contains_ci(opts_.allowed_origins, origin);
}

bool cors_policy::is_preflight(std::string_view method, std::string_view origin,
                               std::string_view access_control_request_method) noexcept {
  return method == "OPTIONS" && !origin.empty() && !access_control_request_method.empty();
}

cors_preflight cors_policy::preflight(std::string_view origin, std::string_view request_method,
                                      std::string_view request_headers) const {
  cors_preflight out;
  out.headers.push_back({"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"});
  bool ok = origin_allowed(origin) && contains_ci(opts_.allowed_methods, request_method);
  // Every header the browser announces must be allowed; one unknown header refuses the whole preflight.
  while (ok && !request_headers.empty()) {
    auto comma = request_headers.find(',');
    std::string_view h = trim(request_headers.substr(0, comma));
    if (!h.empty() && !contains_ci(opts_.allowed_headers, h)) ok = false;
    request_headers = comma == std::string_view::npos ? std::string_view() : request_headers.substr(comma + 1);
  }
  if (!ok) {
    out.status = 403;
    return out;
  }
  out.status = 204;
  out.headers.push_back({"Access-Control-Allow-Origin", any_origin_ ? "*" : std::string(origin)});
  out.headers.push_back({"Access-Control-Allow-Methods", join(opts_.allowed_methods)});
  if (!opts_.allowed_headers.empty())
    out.headers.push_back({"Access-Control-Allow-Headers", join(opts_.allowed_headers)});
  if (opts_.allow_credentials) out.headers.push_back({"Access-Control-Allow-Credentials", "true"});
  out.headers.push_back({"Access-Control-Max-Age", std::to_string(opts_.max_age.count())});
  return out;
}

std::vector<header_field> cors_policy::response_headers(std::string_view origin) const {
  std::vector<header_field> out;
  if (origin.empty()) return out;
  if (!origin_allowed(origin)) {
    out.push_back({"Vary", "Origin"});
    return out;
  }
  if (any_origin_) {
    out.push_back({"Access-Control-Allow-Origin", "*"});
  } else {
    out.push_back({"Access-Control-Allow-Origin", std::string(origin)});
    out.push_back({"Vary", "Origin"});
  }
  if (opts_.allow_credentials) out.push_back({"Access-Control-Allow-Credentials", "true"});
  if (!opts_.exposed_headers.empty()) out.push_back({"Access-Control-Expose-Headers", join(opts_.exposed_headers)});
  return out;
}

}  // namespace chatkit::http
