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
int cmd_eval(int argc, char** argv);    // accuracy evaluations (cmd_eval.cpp → gc_eval)
int cmd_user(int argc, char** argv);     // reading-station accounts add|list|disable (cmd_user.cpp)
int cmd_convert(int argc, char** argv);  // ECG out as WFDB, aECG, DICOM, PDF (cmd_convert.cpp → gc_export)
int cmd_db(int argc, char** argv);       // database backup|restore (cmd_db.cpp)
int cmd_tls(int argc,
            char** argv);  // centre CA and server certificate: show|renew|new-ca (cmd_tls.cpp)

}  // namespace gc::cli
