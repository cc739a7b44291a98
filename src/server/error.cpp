#include <chatkit/server/error.hpp>

#include <boost/asio/error.hpp>

namespace chatkit::server {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit.server"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::stream_error:
        return "the stream ended with an error event";
      case errc::stream_cancelled:
        return "the event stream was cancelled";
    }
    return "unknown server error";
  }
};

}  // namespace

const boost::system::error_category& server_category() noexcept {
  static const category instance;
  return instance;
}

bool is_cancellation(const std::exception_ptr& failure) noexcept {
  if (!failure) return false;
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& e) {
    return e.code() == errc::stream_cancelled || e.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace chatkit::server
