// Deprecated: the store errors moved to <chatkit/store/error.hpp>.
#pragma once

#include <chatkit/store/error.hpp>
