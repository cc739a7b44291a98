# cmake -DSOURCE_DIR=<checkout> -P CheckSelfContained.cmake
# Fails when a file of the repository refers to documents outside it: the tests, docs and comments must be
# readable and runnable from a clone alone (docs/architecture.md#self-contained). The patterns are assembled
# from pieces so that this file does not match itself.
set(outside_dir "shared")
set(section_sign "§")
set(patterns "\\.\\./${outside_dir}/" "${outside_dir}/spec" "spec ${section_sign}" "echo-bot\\.md" "agent-runner\\.md"
             "openai-streaming\\.md" "chatkit-protocol\\.md" "${section_sign} ?[0-9]")
file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/include/* ${SOURCE_DIR}/src/* ${SOURCE_DIR}/tests/* ${SOURCE_DIR}/examples/*
     ${SOURCE_DIR}/bench/* ${SOURCE_DIR}/docs/* ${SOURCE_DIR}/cmake/* ${SOURCE_DIR}/scripts/*
     ${SOURCE_DIR}/packaging/* ${SOURCE_DIR}/README.md ${SOURCE_DIR}/CMakeLists.txt)
list(FILTER files EXCLUDE REGEX "(^|/)node_modules/|\\.(png|jpg|ico)$")
set(offenders "")
foreach(file IN LISTS files)
  file(STRINGS ${SOURCE_DIR}/${file} lines ENCODING UTF-8)
  set(line_no 0)
  foreach(line IN LISTS lines)
    math(EXPR line_no "${line_no} + 1")
    foreach(pattern IN LISTS patterns)
      if(line MATCHES "${pattern}")
        string(APPEND offenders "  ${file}:${line_no}: ${line}\n")
        break()
      endif()
    endforeach()
  endforeach()
endforeach()
if(offenders)
  message(FATAL_ERROR "These lines refer to documents outside the repository; cite docs/ instead:\n${offenders}")
endif()
list(LENGTH files count)
message(STATUS "self-contained: ${count} files checked, no reference outside the repository")
