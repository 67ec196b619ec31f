// Synthetic chest-pain-centre cases for demos and benchmarks: a realistic month across clinics
// (mostly on time, some late with delay reasons, transfers, lysis at remote clinics, a few
// not-STEMI). Deterministic for a seed on every platform (own distributions over mt19937_64,
// whose output the standard fixes). Not clinical data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gc/workflow.hpp"

namespace gc::workflow {

struct SynthCasesOptions {
  UnixMs from_ms = 0;  // cases' FMC spread over [from, to)
  UnixMs to_ms = 0;
  std::size_t n_cases = 60;
  std::uint64_t seed = 1;
  std::vector<std::string> clinics = {"城关镇卫生院", "石桥乡卫生院", "河口镇卫生院",
                                      "县人民医院急诊"};
  std::int64_t first_case_id = 1;
};

std::vector<Case> synth_cases(const SynthCasesOptions& options);

// The seed case of issue 6 (times in Asia/Shanghai on 2026-05-12): FMC/first ECG 16:05, green
// channel 16:08, door 16:25, cath lab 16:30, angiography 16:41, wire 16:54.
Case seed_case(std::int64_t case_id = 1);

}  // namespace gc::workflow
