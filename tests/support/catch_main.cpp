// The single Catch2 main for every test executable (Catch2 v2, as shipped by Debian 12).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
