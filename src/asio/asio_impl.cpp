// Compiles Asio, Asio's SSL support and Beast once for the whole project.
// Every other translation unit sees BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION
// (public definitions of chatkit::asio) and so only parses declarations: a large build-time saving on 2 cores.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
