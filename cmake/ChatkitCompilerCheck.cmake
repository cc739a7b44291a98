# GCC 12 (Debian 12's default compiler) destroys aggregate temporaries twice when they appear inside a
# co_await expression (e.g. `co_await out.emit(item_done_event{item})`), which corrupts memory. chatkit-cpp's
# presets build with clang-16 for that reason; other compilers are allowed but warned about.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  message(WARNING "GCC ${CMAKE_CXX_COMPILER_VERSION} miscompiles aggregate temporaries in co_await expressions; "
                  "build with clang++-16 (the presets do) — see docs/server.md")
endif()
