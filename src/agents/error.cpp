#include <chatkit/agents/error.hpp>

#include <string>

namespace chatkit::agents {

namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "chatkit.agents"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "success";
      case errc::user_error:
        return "misuse of the agents API";
      case errc::max_turns_exceeded:
        return "max turns exceeded";
      case errc::model_behavior:
        return "the model did something the run cannot continue from";
      case errc::model_response:
        return "the model response failed or is incomplete";
      case errc::tool_timeout:
        return "a tool timed out";
      case errc::invalid_tool_arguments:
        return "invalid tool arguments";
    }
    return "unknown agents error";
  }
};

}  // namespace

const boost::system::error_category& agents_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace chatkit::agents
