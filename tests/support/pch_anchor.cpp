// Gives chatkit_test_main one source that is compiled with its precompiled header. Without it CMake emits
// no rule for cmake_pch.hxx.gch (catch_main.cpp skips the PCH) and every `REUSE_FROM` test target fails
// with "missing and no known rule to make it".
#include <catch2/catch.hpp>
