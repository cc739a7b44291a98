// RequestContext: who is asking. Built by the HTTP layer from an authenticated request, handed to
// every store call, every server hook and every tool. It is the root of the isolation model:
// stores filter every query by `user_id`, bound tool parameters are filled from it.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace chatkit {

struct request_context {
  // The authenticated user. Required: an empty user_id is rejected by every store.
  std::string user_id;
  // Verified claims or attributes of the identity (e.g. the JWT payload); empty when not applicable.
  boost::json::object claims;
  // Opaque data the host application attaches (its own session object, tenant, ...).
  std::shared_ptr<void> host_data;

  // Typed access to host_data; the host knows what it stored.
  template <class T>
  T* host() const noexcept {
    return static_cast<T*>(host_data.get());
  }
};

}  // namespace chatkit
