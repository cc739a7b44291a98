// Catch2's main for the example's test executable (a host application usually has one already).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
