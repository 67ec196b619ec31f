# Writes OUT: a C++ table of (version, sql) from FILES named NNNN_description.sql, returned by
# gc::storage::detail::FUNC().
string(REPLACE "|" ";" FILES "${FILES}")
set(body "// generated from storage/migrations/*.sql — do not edit\n#include <string_view>\n#include <utility>\n#include <vector>\nnamespace gc::storage::detail {\nconst std::vector<std::pair<int, std::string_view>>& ${FUNC}() {\n  static const std::vector<std::pair<int, std::string_view>> all = {\n")
foreach(f IN LISTS FILES)
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" ver ${name})
  math(EXPR ver "${ver}")
  file(READ ${f} sql)
  string(APPEND body "    {${ver}, R\"gcsql(${sql})gcsql\"},\n")
endforeach()
string(APPEND body "  };\n  return all;\n}\n}  // namespace gc::storage::detail\n")
file(WRITE ${OUT} "${body}")
