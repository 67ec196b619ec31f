// Workflow subcommands of the `greenchannel` CLI (issue 6): cases and their time nodes, and the
// audit report. Same convention as commands.hpp: argv[0] is the subcommand name.
#pragma once

namespace gc::cli {

int cmd_case(int argc, char** argv);  // case open|event|flag|delay|close|show|synth (cmd_case.cpp)
int cmd_report(int argc, char** argv);  // audit report: html|csv|json (cmd_report.cpp)

}  // namespace gc::cli
