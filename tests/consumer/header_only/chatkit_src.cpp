// The one translation unit of the program that compiles chatkit-cpp (docs/packaging.md#header-only-use).
#include <chatkit/src.hpp>
