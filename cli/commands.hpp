// The `greenchannel` CLI: one function per git-style subcommand. Each takes the arguments after
// the subcommand name (argv[0] is the subcommand) and returns the process exit code.
#pragma once

namespace gc::cli {

int cmd_serve(int argc, char** argv);   // ingest daemon (cmd_serve.cpp)
int cmd_cart(int argc, char** argv);    // cart simulator (cmd_cart.cpp)
int cmd_device(int argc, char** argv);  // device add|list|revoke (cmd_device.cpp)
int cmd_roster(int argc, char** argv);  // on-call roster set|show (cmd_roster.cpp)
int cmd_analyze(int argc, char** argv); // offline analysis of a WFDB record (cmd_analyze.cpp)
int cmd_synth(int argc, char** argv);   // synthetic ECGs (cmd_synth.cpp)
int cmd_bench(int argc, char** argv);   // bench ingest: load benchmark (cmd_bench.cpp)
int cmd_eval(int argc, char** argv);    // accuracy evaluations over ../shared/ecg-data (cmd_eval.cpp)
int cmd_user(int argc, char** argv);    // reading-station accounts add|list|disable (cmd_user.cpp)

// Evaluations, dispatched by cmd_eval.
int eval_qrs(int argc, char** argv);          // cmd_eval_qrs.cpp
int eval_delineation(int argc, char** argv);  // cmd_eval_dsp.cpp
int eval_st(int argc, char** argv);           // cmd_eval_dsp.cpp
int eval_stemi(int argc, char** argv);        // cmd_eval_stemi.cpp

}  // namespace gc::cli
