#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus_dsp/ and tests/fuzz/corpus_wfdb/ (deterministic).

Every seed is small and synthetic: the WFDB seeds are hand-made headers, signal bytes and
annotation words (never copies of the licensed databases). Layouts are described in
fuzz_dsp_body.hpp and fuzz_wfdb_body.hpp. Files named regression_* are inputs a fuzzer found
(kept as they are, replayed by the test suite); this script leaves them alone.
Usage: tests/fuzz/make_seeds.py
"""
import pathlib
import random
import struct

HERE = pathlib.Path(__file__).resolve().parent

# --- dsp ---------------------------------------------------------------------------------------
RATES = [100, 250, 360, 500, 1000, 128, 257.3, 2000, 50, 99.5, 8000, 1]
MAX_TOTAL = 180_000
MAX_RATE_HZ = 100_000.0  # dsp::kMaxSampleRateHz: above it every entry point must refuse


def dsp_seed(n_leads, rate_index, seconds=None, n=None, pattern=6, param=42, flags=0x10,
             raw_rate=0.0, edits=(), samples=b""):
    fs = RATES[rate_index]
    if flags & 32:
        fs = raw_rate
    max_n = MAX_TOTAL // n_leads
    if 0 < fs <= MAX_RATE_HZ:
        max_n = int(min(max_n, 60 * fs))
    else:
        max_n = min(max_n, 4096)
    if n is None:
        n = int(round(seconds * fs))
    assert n <= max_n and n < 65536, (n, max_n)
    out = bytes([n_leads - 1, rate_index]) + struct.pack("<H", n)
    out += bytes([pattern, param, flags]) + struct.pack("<f", raw_rate)
    out += bytes([len(edits)])
    for e in edits:
        out += bytes(e)
    return out + samples


# Edit kinds: 0 flat, 1 lead off, 2 rail, 3 NaN, 4 Inf, 5 huge, 6 spike, 7 step;
# (kind, lead, start/256, length/256 (255 = all), value).
DSP_SEEDS = {
    "synth_12lead_500hz_10s": dsp_seed(12, 3, seconds=10, param=42),
    "synth_18lead_1000hz_5s_edits": dsp_seed(
        18, 4, seconds=5, param=90,
        edits=[(3, 3, 100, 3, 0), (1, 7, 0, 255, 0), (2, 1, 50, 40, 1), (6, 9, 128, 1, 250)]),
    "synth_lbbb_noisy_250hz_20s": dsp_seed(12, 1, seconds=20, param=0b0100101),
    "synth_1s": dsp_seed(12, 3, seconds=1, param=42),
    "synth_8khz_1lead": dsp_seed(1, 10, seconds=2, param=60),
    "all_zero_12lead": dsp_seed(12, 3, seconds=10, pattern=2),
    "constant_offsets": dsp_seed(6, 1, seconds=10, pattern=3, param=200),
    "saturated_rails": dsp_seed(12, 3, seconds=10, pattern=4, param=7),
    "beat_train_360hz_60s": dsp_seed(1, 2, seconds=60, pattern=5, param=40, flags=0x14),
    "beat_train_odd_rate": dsp_seed(3, 6, seconds=8, pattern=5, param=90, flags=0x19),
    "beat_train_1hz": dsp_seed(2, 11, n=60, pattern=5, param=10),
    "beat_train_50hz_mains60": dsp_seed(2, 8, seconds=10, pattern=5, param=30, flags=0x18),
    "beat_train_huge_inf": dsp_seed(
        4, 3, seconds=10, pattern=5, param=50, edits=[(5, 0, 10, 20, 1), (4, 2, 0, 5, 0)]),
    "one_lead_off_and_nan": dsp_seed(
        12, 3, seconds=10, param=42, flags=0x12, edits=[(1, 4, 0, 255, 0), (3, 0, 0, 200, 0)]),
    "tiny_lengths": dsp_seed(12, 3, n=3, pattern=5),
    "empty_block": dsp_seed(1, 3, n=0, pattern=2),
    "invalid_rate_nan": dsp_seed(2, 0, n=100, pattern=2, flags=0x20, raw_rate=float("nan")),
    "invalid_rate_negative": dsp_seed(2, 0, n=100, pattern=5, flags=0x20, raw_rate=-250.0),
    "raw_rate_tiny": dsp_seed(1, 0, n=0, pattern=5, flags=0x20, raw_rate=1e-3),
    "raw_rate_1mhz": dsp_seed(3, 0, n=50, pattern=5, flags=0x30, raw_rate=1e6),
    "raw_rate_3e38": dsp_seed(3, 0, n=50, pattern=5, flags=0x30, raw_rate=3e38),
}
rng = random.Random(5)
DSP_SEEDS["raw_bytes_3lead_250hz"] = dsp_seed(
    3, 1, seconds=10, pattern=0, flags=0x10, samples=bytes(rng.randrange(256) for _ in range(1500)))
DSP_SEEDS["raw_bytes_scaled_1000"] = dsp_seed(
    2, 3, seconds=4, pattern=21, samples=bytes(rng.randrange(256) for _ in range(600)))


# --- wfdb --------------------------------------------------------------------------------------
def i16(values):
    return b"".join(struct.pack("<h", v) for v in values)


def fmt212(values):
    out = b""
    for k in range(0, len(values), 2):
        a = values[k] & 0xFFF
        b = values[k + 1] & 0xFFF if k + 1 < len(values) else 0
        out += bytes([a & 0xFF, ((a >> 8) & 0x0F) | ((b >> 4) & 0xF0)])
        if k + 1 < len(values):
            out += bytes([b & 0xFF])
    return out


def checksum(values):
    s = sum(values) & 0xFFFF
    return s - 0x10000 if s >= 0x8000 else s


def word(code, value):
    return struct.pack("<H", (code << 10) | (value & 0x3FF))


def annotations():
    out = word(59, 0) + struct.pack("<HH", 0, 1000)  # SKIP 1000 (high word first)
    out += word(5, 20) + word(62, 1) + word(60, 3) + word(1, 300) + word(61, 2)
    out += word(28, 0) + word(63, 3) + b"(VT\0" + word(39, 10) + word(1, 5) + word(40, 40)
    return out + word(0, 0)


def wfdb_seed(header, rest=b""):
    data = header.encode()
    return struct.pack("<H", len(data)) + data + rest


lead_i = [0, 12, 40, 120, 300, 90, -40, -10, 0, 2]
lead_ii = [5, 10, 60, 200, 500, 150, -60, -20, 5, -32768]
frames = [v for pair in zip(lead_i, lead_ii) for v in pair]
odd212 = [2047, -1, -2048, 0x123, -300]

WFDB_SEEDS = {
    "fmt16_two_leads": wfdb_seed(
        "rec 2 500 10 12:00:00 01/01/2020\n"
        f"rec.dat 16 200(0)/mV 16 0 0 {checksum(lead_i)} 0 I\n"
        f"rec.dat 16 200(0)/mV 16 0 5 {checksum(lead_ii)} 0 II\n"
        "# <age>: 61\n# <sex>: F\n", i16(frames)),
    "fmt212_odd_count": wfdb_seed("p 1 250\np.dat 212:2 200(10)/mV 12 0 2047 0 0 MLII\n",
                                  fmt212(odd212)),
    "crlf_offset_counter": wfdb_seed(
        "c 1 250/360 4\r\nc.mat 16x1+24 1716(6)/uV 16 0 0 0 0 V1\r\n# Age: 47  Sex: M\r\n",
        bytes(24) + i16([1, -2, 3, -4])),
    "two_files_formats": wfdb_seed(
        "t 2 1000 4\na.dat 16 100 16 0 0 0 0 I\nb.dat 212 37837.14(-178440)/mV 12 0 0 0 0 II\n",
        i16([1, 2, 3, 4])),
    "length_from_size": wfdb_seed("d 3 360\nd.dat 16 0 12 7 0\nd.dat 16\nd.dat 16 100/uV 16 -3 5 0 0 third lead name\n",
                                  i16(range(12))),
    "truncated_dat": wfdb_seed("r 2 500 1000\nr.dat 16 200 16 0 0 0 0 I\nr.dat 16 200 16 0 0 0 0 II\n",
                               i16([1, 2, 3, 4, 5])),
    "absurd_length": wfdb_seed("big 2 500 9000000000000000000\nbig.dat 16 200 16 0 0 0 0 I\n"
                               "big.dat 16 200 16 0 0 0 0 II\n", bytes(100)),
    "absurd_gain_offset": wfdb_seed("g 2 500 2\ng.dat 16+4000 1e-300/mV 16 0 0 0 0 I\n"
                                    "h.dat 16 1e-300(0)/mV 16 0 0 0 0 II\n", i16([32767, -32767])),
    "mit_comment_nv_units": wfdb_seed("100 1 360 3\n100.dat 16 200(0)/nV 11 1024 995 -22131 0 MLII\n"
                                      "# 69 M 1085 1629 x1\n", i16([995, 1000, 1005])),
    "malformed_lines": wfdb_seed("# comment\n\nr/3 1 abc 10\nr.dat 16q 2x0(1/mV\n"),
    "annotations": wfdb_seed("a 1 360\na.dat 16 mmHg\n", annotations()),
    "annotations_truncated_aux": wfdb_seed("a 1 360\n", annotations()[:-9]),
    "annotation_modifier_first": wfdb_seed("", word(62, 1) + word(1, 1)),
    "empty": b"",
}


def write(folder, seeds):
    folder.mkdir(exist_ok=True)
    for name, data in seeds.items():
        assert len(data) <= 4096, name
        (folder / name).write_bytes(data)


write(HERE / "corpus_dsp", DSP_SEEDS)
write(HERE / "corpus_wfdb", WFDB_SEEDS)
