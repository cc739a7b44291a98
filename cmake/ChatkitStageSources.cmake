# Run while installing (cmake/ChatkitSrcHpp.cmake): copies the sources and private headers listed in
# CHATKIT_STAGE_FILES from CHATKIT_STAGE_FROM (src/) to CHATKIT_STAGE_TO (<build>/src_impl/chatkit/impl), rewriting
# their private includes "<layer>/detail/x.hpp" to <chatkit/impl/<layer>/detail/x.hpp>. Includes relative to the
# file itself ("detail/x.hpp") stay as they are.
file(REMOVE_RECURSE "${CHATKIT_STAGE_TO}")
foreach(file IN LISTS CHATKIT_STAGE_FILES)
  file(READ "${CHATKIT_STAGE_FROM}/${file}" text)
  string(REGEX REPLACE "#include \"([a-z0-9_]+/detail/[a-z0-9_]+\\.hpp)\"" "#include <chatkit/impl/\\1>" text "${text}")
  file(WRITE "${CHATKIT_STAGE_TO}/${file}" "${text}")
endforeach()
