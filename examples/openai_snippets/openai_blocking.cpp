// The blocking wrapper: OPENAI_API_KEY=... ./openai_blocking
#include "snippets.hpp"

#include <iostream>

int main() {
  try {
    std::cout << snippets::blocking_hello({}) << "\n";
  } catch (const chatkit::openai::api_error& e) {
    std::cerr << snippets::describe(e) << "\n";
    return 1;
  }
  return 0;
}
