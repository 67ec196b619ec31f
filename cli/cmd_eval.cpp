// `greenchannel eval <what>`: accuracy figures against the annotated PhysioNet databases.
#include <cstring>
#include <iostream>

#include "commands.hpp"

namespace gc::cli {

int cmd_eval(int argc, char** argv) {
  const char* usage =
      "usage: greenchannel eval <qrs|delineation|st|stemi> [options]\n"
      "  qrs          QRS detection vs MIT-BIH .atr (bxb-style, from 5:00, 150 ms window)\n"
      "  delineation  QRS onset / J point / T end vs QTDB .q1c and LUDB annotations\n"
      "  st           ST measurement error with injected ST shifts on LUDB\n"
      "  stemi        STEMI triage confusion matrix on the labelled records\n"
      "Each accepts --data DIR (default: ../shared/ecg-data) and --help.\n";
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string what = argv[1];
  if (what == "qrs") return eval_qrs(argc - 1, argv + 1);
  if (what == "delineation") return eval_delineation(argc - 1, argv + 1);
  if (what == "st") return eval_st(argc - 1, argv + 1);
  if (what == "stemi") return eval_stemi(argc - 1, argv + 1);
  std::cerr << "greenchannel eval: unknown evaluation '" << what << "'\n" << usage;
  return 2;
}

}  // namespace gc::cli
