#!/usr/bin/env python3
"""Writes the seed corpora of the ECG file readers' fuzz targets (deterministic, synthetic):
tests/fuzz/corpus_formats_{scp,dicom,xml,xli}/.

Every seed is built here from a made-up signal — never a copy of a real cart's file: SCP-ECG
records (default Huffman table, first/second differences, uncompressed, bimodal compression with
and without reference-beat subtraction), DICOM waveforms
(explicit and implicit VR, a median-beat and a rhythm group), HL7 aECG, GE MUSE, GE CardioSoft and
Philips Sierra XML (XLI-compressed, UTF-8 and UTF-16), and raw XLI chunks. Layouts as read by
formats/src/*.cpp; the XLI layout is described in tests/fuzz/fuzz_formats_body.hpp.
Files named regression_* are inputs a fuzzer found; this script leaves them alone.
Usage: tests/fuzz/make_format_seeds.py
"""
import base64
import math
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent


def signal(n_leads, n):
    """Small ECG-like integer counts: a beat every 100 samples plus a slow wave."""
    out = []
    for lead in range(n_leads):
        row = []
        for i in range(n):
            t = i % 100
            beat = 150 * math.exp(-((t - 50) ** 2) / 6.0) * (-1 if lead % 2 else 1)
            row.append(int(round(beat + 10 * math.sin(0.07 * (i + 11 * lead)))) + (i * 3 + lead) % 3 - 1)
        out.append(row)
    return out


def write(corpus, name, data):
    d = HERE / corpus
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(data)


# --- SCP-ECG -----------------------------------------------------------------------------------
def crc_ccitt(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def huffman_default(values):
    bits = []
    for v in values:
        if v == 0:
            bits.append("0")
        elif abs(v) <= 8:
            bits.append("1" * abs(v) + "0" + ("1" if v < 0 else "0"))
        elif -128 <= v <= 127:
            bits.append("1111111110" + format(v & 0xFF, "08b"))
        else:
            bits.append("1111111111" + format(v & 0xFFFF, "016b"))
    s = "".join(bits)
    s += "0" * (-len(s) % 8)
    return bytes(int(s[i:i + 8], 2) for i in range(0, len(s), 8))


def differences(x, order):
    if order == 0:
        return list(x)
    if order == 1:
        return [x[0]] + [x[i] - x[i - 1] for i in range(1, len(x))]
    return x[:2] + [x[i] - 2 * x[i - 1] + x[i - 2] for i in range(2, len(x))]


def scp(lead_codes=(1, 2, 3, 4, 5, 6, 7, 8), n=200, diff=2, huffman=True, avm=2500, interval=2000):
    counts = signal(len(lead_codes), n)
    s1 = b""
    for tag, val in [(2, b"SEED-1\0"), (4, struct.pack("<HB", 55, 1)), (8, b"\x01"),
                     (25, struct.pack("<HBB", 2024, 5, 6)), (26, bytes([9, 8, 7])),
                     (34, struct.pack("<hH", 480, 0) + b"\0")]:
        s1 += struct.pack("<BH", tag, len(val)) + val
    dev = bytearray(36)
    dev[7] = 255
    dev[8:14] = b"SEED01"
    dev += b"SN\0SW\0gen\0Maker\0"
    s1 += struct.pack("<BH", 14, len(dev)) + bytes(dev) + struct.pack("<BH", 255, 0)
    bodies = [(1, s1)]
    if huffman:
        bodies.append((2, struct.pack("<H", 19999)))
    s3 = bytes([len(lead_codes), 0x04]) + b"".join(struct.pack("<IIB", 1, n, c) for c in lead_codes)
    bodies.append((3, s3))
    data = []
    for row in counts:
        d = differences(row, diff)
        data.append(huffman_default(d) if huffman else b"".join(struct.pack("<h", v) for v in d))
    s6 = struct.pack("<HHBB", avm, interval, diff, 0) + b"".join(struct.pack("<H", len(d)) for d in data)
    s6 += b"".join(data)
    bodies.append((6, s6))
    return record(bodies)


def bimodal_stream(row, zones, factor):
    """Bimodal compression of one lead: outside the protected zones (1-based, inclusive) one mean
    per block of `factor` samples, then the stretch's last n mod factor samples as they are."""
    protected = [False] * len(row)
    for qb, qe in zones:
        for t in range(qb, qe + 1):
            protected[t - 1] = True
    out, t = [], 0
    while t < len(row):
        if protected[t]:
            out.append(row[t])
            t += 1
            continue
        b = t
        while b + 1 < len(row) and not protected[b + 1]:
            b += 1
        blocks = (b - t + 1) // factor
        for k in range(blocks):
            out.append(round(sum(row[t + k * factor:t + (k + 1) * factor]) / factor))
        out.extend(row[t + blocks * factor:b + 1])
        t = b + 1
    return out


def scp_bimodal(lead_codes=(1, 2, 3), n=300, diff=2, factor=4, subtract=True, version=20):
    """Sections 2, 3, 4, 5, 6: rhythm decimated by `factor` outside protected zones around the
    beats (at 51, 151, …), a reference beat subtracted around them when `subtract`."""
    counts = signal(len(lead_codes), n)
    beats = [r for r in range(51, n + 1, 100) if r - 20 >= 1 and r + 30 <= n]
    ref_before, ref_after = 20, 30
    refs = [[counts[l][r - 1] for r in range(51 - ref_before, 51 + ref_after + 1)] for l in range(len(lead_codes))]
    residual = [list(row) for row in counts]
    if subtract:
        for l, row in enumerate(residual):
            for r in beats:
                for t in range(r - ref_before, r + ref_after + 1):
                    row[t - 1] -= refs[l][t - r + ref_before]
    zones = [(r - 8, r + 8) for r in beats]
    bodies = [(2, struct.pack("<H", 19999))]
    s3 = bytes([len(lead_codes), 0x05 if subtract else 0x04]) + b"".join(
        struct.pack("<IIB", 1, n, c) for c in lead_codes)
    bodies.append((3, s3))
    ref_len = ref_before + ref_after + 1
    s4 = struct.pack("<HHH", ref_len * 2 if subtract else 0, ref_before + 1, len(beats))
    s4 += b"".join(struct.pack("<HIII", 0, r - ref_before, r, r + ref_after) for r in beats)
    if version >= 13:
        s4 += b"".join(struct.pack("<II", qb, qe) for qb, qe in zones)
    else:
        zones = [(r - ref_before, r + ref_after) for r in beats]
    bodies.append((4, s4))
    ref_data = [huffman_default(differences(refs[l] if subtract else [0], diff)) for l in range(len(lead_codes))]
    s5 = struct.pack("<HHBB", 2500, 2000, diff, 0) + b"".join(struct.pack("<H", len(d)) for d in ref_data)
    bodies.append((5, s5 + b"".join(ref_data)))
    data = [huffman_default(differences(bimodal_stream(row, zones, factor), diff)) for row in residual]
    s6 = struct.pack("<HHBB", 2500, 2000 * factor, diff, 1) + b"".join(struct.pack("<H", len(d)) for d in data)
    bodies.append((6, s6 + b"".join(data)))
    return record(bodies, version)


def record(bodies, version=20):
    """An SCP-ECG record from its sections' bodies: section 0's pointers and every CRC."""
    s0_len = 16 + 12 * 10
    offsets, off = [], 6 + s0_len
    for _, body in bodies:
        offsets.append(off)
        off += 16 + len(body)
    rec = bytearray(off)

    def header(at, sid, length, tag=b"\0" * 6):
        rec[at + 2:at + 10] = struct.pack("<HIBB", sid, length, version, version)
        rec[at + 10:at + 16] = tag

    header(6, 0, s0_len, b"SCPECG")
    for sid in range(12):
        p = 6 + 16 + sid * 10
        length, index = 0, 0
        if sid == 0:
            length, index = s0_len, 7
        for k, (bid, body) in enumerate(bodies):
            if bid == sid:
                length, index = 16 + len(body), offsets[k] + 1
        rec[p:p + 10] = struct.pack("<HII", sid, length, index)
    for k, (bid, body) in enumerate(bodies):
        header(offsets[k], bid, 16 + len(body))
        rec[offsets[k] + 16:offsets[k] + 16 + len(body)] = body
    rec[2:6] = struct.pack("<I", len(rec))
    rec[6:8] = struct.pack("<H", crc_ccitt(rec[8:6 + s0_len]))
    for k, (_, body) in enumerate(bodies):
        o = offsets[k]
        rec[o:o + 2] = struct.pack("<H", crc_ccitt(rec[o + 2:o + 16 + len(body)]))
    rec[0:2] = struct.pack("<H", crc_ccitt(rec[2:]))
    return bytes(rec)


# --- DICOM -------------------------------------------------------------------------------------
LONG_VRS = {b"OB", b"OW", b"SQ", b"UN", b"UT"}


def pad(value, vr):
    if len(value) % 2:
        value += b"\0" if vr in (b"UI", b"OB") else b" "
    return value


def element(group, elem, vr, value, explicit):
    value = pad(value, vr)
    tag = struct.pack("<HH", group, elem)
    if not explicit:
        return tag + struct.pack("<I", len(value)) + value
    if vr in LONG_VRS:
        return tag + vr + b"\0\0" + struct.pack("<I", len(value)) + value
    return tag + vr + struct.pack("<H", len(value)) + value


def sequence(group, elem, items, explicit):
    """Undefined-length sequence of undefined-length items."""
    body = b""
    for item in items:
        body += struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + item + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    tag = struct.pack("<HH", group, elem)
    head = tag + (b"SQ\0\0" if explicit else b"") + struct.pack("<I", 0xFFFFFFFF)
    return head + body + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def dicom(explicit=True, preamble=True, units=b"uV", n=120, data_vr=b"OW"):
    ex = explicit
    codes = [(b"5.6.3-9-1", b"Lead I"), (b"5.6.3-9-2", b"Lead II"), (b"5.6.3-9-3", b"Lead V1")]

    def group(label, n_samples):
        counts = signal(len(codes), n_samples)
        channels = []
        for code, meaning in codes:
            src = (element(0x0008, 0x0100, b"SH", code, ex) + element(0x0008, 0x0102, b"SH", b"SCPECG", ex)
                   + element(0x0008, 0x0104, b"LO", meaning, ex))
            unit = element(0x0008, 0x0100, b"SH", units, ex) + element(0x0008, 0x0102, b"SH", b"UCUM", ex)
            channels.append(sequence(0x003A, 0x0208, [src], ex) + element(0x003A, 0x0210, b"DS", b"2.5", ex)
                            + sequence(0x003A, 0x0211, [unit], ex) + element(0x003A, 0x0212, b"DS", b"1", ex)
                            + element(0x003A, 0x0213, b"DS", b"0", ex))
        data = b"".join(struct.pack("<h", counts[c][s]) for s in range(n_samples) for c in range(len(codes)))
        return (element(0x003A, 0x0005, b"US", struct.pack("<H", len(codes)), ex)
                + element(0x003A, 0x0010, b"UL", struct.pack("<I", n_samples), ex)
                + element(0x003A, 0x001A, b"DS", b"500", ex) + element(0x003A, 0x0020, b"SH", label, ex)
                + sequence(0x003A, 0x0200, channels, ex)
                + element(0x5400, 0x1004, b"US", struct.pack("<H", 16), ex)
                + element(0x5400, 0x1006, b"CS", b"SS", ex) + element(0x5400, 0x1010, data_vr, data, ex))

    sop = b"1.2.840.10008.5.1.4.1.1.9.1.2"
    ds = (element(0x0008, 0x0016, b"UI", sop, ex) + element(0x0008, 0x0018, b"UI", b"1.2.3.4", ex)
          + element(0x0008, 0x0070, b"LO", b"Seed Maker", ex) + element(0x0010, 0x0040, b"CS", b"F", ex)
          + sequence(0x5400, 0x0100, [group(b"MEDIAN BEAT", 40), group(b"RHYTHM", n)], ex))
    if not preamble:
        return ds
    xfer = b"1.2.840.10008.1.2.1" if explicit else b"1.2.840.10008.1.2"
    meta = (element(0x0002, 0x0001, b"OB", b"\0\1", True) + element(0x0002, 0x0002, b"UI", sop, True)
            + element(0x0002, 0x0003, b"UI", b"1.2.3.4", True) + element(0x0002, 0x0010, b"UI", xfer, True))
    meta = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta)), True) + meta
    return b"\0" * 128 + b"DICM" + meta + ds


# --- XLI (Philips) -----------------------------------------------------------------------------
def lzw10(data):
    table = {bytes([i]): i for i in range(256)}
    nxt, w, codes = 256, b"", []
    for c in data:
        wc = w + bytes([c])
        if wc in table:
            w = wc
            continue
        codes.append(table[w])
        if nxt <= 1022:
            table[wc] = nxt
            nxt += 1
        w = bytes([c])
    if w:
        codes.append(table[w])
    codes.append(1023)  # end
    s = "".join(format(c, "010b") for c in codes)
    s += "0" * (-len(s) % 8)
    return bytes(int(s[i:i + 8], 2) for i in range(0, len(s), 8))


def xli_chunk(samples):
    n = len(samples)
    start = 2 * samples[1] - samples[0] - samples[2]
    v = [samples[0], samples[1]] + [2 * samples[i - 1] - samples[i - 2] - samples[i] + 64 for i in range(3, n)] + [0]
    raw = bytes((x >> 8) & 0xFF for x in v) + bytes(x & 0xFF for x in v)
    body = lzw10(raw)
    return struct.pack("<IHh", len(body), 1, start) + body


def xli(counts):
    return b"".join(xli_chunk(row) for row in counts)


# --- XML ---------------------------------------------------------------------------------------
LEADS12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def aecg(leads=("I", "II"), n=40):
    counts = signal(len(leads), n)
    seqs = "".join(
        f'<component><sequence><code code="MDC_ECG_LEAD_{name.upper() if name.startswith("a") else name}"/>'
        f'<value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="5" unit="uV"/>'
        f'<digits>{" ".join(map(str, row))}</digits></value></sequence></component>'
        for name, row in zip(leads, counts))
    return ('<?xml version="1.0"?><AnnotatedECG xmlns="urn:hl7-org:v3" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><effectiveTime><center value="20240506090807"/>'
            '</effectiveTime><component><series><code code="RHYTHM"/><component><sequenceSet><component><sequence>'
            '<code code="TIME_ABSOLUTE"/><value xsi:type="GLIST_TS"><head value="20240506090807"/>'
            '<increment value="0.002" unit="s"/></value></sequence></component>' + seqs +
            '</sequenceSet></component></series></component></AnnotatedECG>').encode()


def muse(n=60):
    names = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]
    counts = signal(8, n)
    leads = "".join(
        f"<LeadData><LeadSampleCountTotal>{n}</LeadSampleCountTotal><LeadAmplitudeUnitsPerBit>4.88"
        f"</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>{name}</LeadID>"
        f"<LeadSampleSize>2</LeadSampleSize><WaveFormData>"
        f"{base64.b64encode(b''.join(struct.pack('<h', v) for v in row)).decode()}</WaveFormData></LeadData>"
        for name, row in zip(names, counts))
    return ('<?xml version="1.0" encoding="ISO-8859-1"?><RestingECG><TestDemographics><AcquisitionDevice>MAC'
            '</AcquisitionDevice><AcquisitionDate>05-06-2024</AcquisitionDate></TestDemographics><Waveform>'
            '<WaveformType>Rhythm</WaveformType><SampleBase>500</SampleBase><SampleExponent>0</SampleExponent>'
            + leads + '</Waveform></RestingECG>').encode("latin-1")


def cardiosoft(n=30):
    counts = signal(2, n)
    leads = "".join(f'<WaveformData lead="{name}">{",".join(map(str, row))}</WaveformData>'
                    for name, row in zip(["I", "II"], counts))
    return ('<?xml version="1.0" encoding="ISO-8859-1"?><CardiologyXML><StripData><NumberOfLeads>2</NumberOfLeads>'
            f'<SampleRate units="Hz">500</SampleRate><ChannelSampleCountTotal>{n}</ChannelSampleCountTotal>'
            '<Resolution units="uVperLsb">5</Resolution>' + leads + '</StripData></CardiologyXML>').encode("latin-1")


def trunc_half(a):
    return int(a / 2)  # C's integer division, as the Philips decoder uses


def limb_residuals(counts):
    """XLI stores III, aVR, aVL, aVF as residuals against I and II (inverse of the decoder's step)."""
    i, ii, iii, avr, avl, avf = counts[:6]
    r = [list(row) for row in counts]
    for s in range(len(i)):
        r[2][s] = ii[s] - i[s] - iii[s]
        r[3][s] = -avr[s] - trunc_half(i[s] + ii[s])
        r[4][s] = trunc_half(i[s] - iii[s]) - avl[s]
        r[5][s] = trunc_half(ii[s] + iii[s]) - avf[s]
    return r


def sierra(version="1.03", n=50, utf16=False, plain=False):
    counts = signal(12, n)
    payload = base64.b64encode(xli(limb_residuals(counts))).decode()
    ms = n * 1000 // 500
    if plain:
        pw = (f'<parsedwaveforms dataencoding="Plain" durationperchannel="{ms}">'
              + " ".join(str(v) for row in counts for v in row) + '</parsedwaveforms>')
    elif version == "1.03":
        pw = (f'<parsedwaveforms compressflag="True" compressmethod="XLI" dataencoding="Base64" '
              f'durationperchannel="{ms}">{payload}</parsedwaveforms>')
    else:
        pw = (f'<parsedwaveforms dataencoding="Base64" compression="XLI" numberofleads="12" '
              f'leadlabels="{" ".join(LEADS12)}" durationperchannel="{ms}" samplespersecond="500" resolution="5">'
              f'{payload}</parsedwaveforms>')
    doc = ('<?xml version="1.0" encoding="%s"?><restingecgdata xmlns="http://www3.medical.philips.com">'
           f'<documentinfo><documentversion>{version}</documentversion></documentinfo>'
           '<dataacquisition date="2024-05-06" time="09:08:07"><machine machineid="7" '
           'detaildescription="Seed Maker:123:1.0">Cart</machine><signalcharacteristics><samplingrate>500'
           '</samplingrate><signalresolution>5</signalresolution><acquisitiontype>STD-12</acquisitiontype>'
           '</signalcharacteristics></dataacquisition><waveforms>' + pw + '</waveforms></restingecgdata>')
    if utf16:
        return b"\xff\xfe" + (doc % "UTF-16").encode("utf-16-le")
    return (doc % "UTF-8").encode()


def main():
    write("corpus_formats_scp", "huffman_diff2_8leads", scp())
    write("corpus_formats_scp", "huffman_diff1_12leads", scp(lead_codes=(1, 2, 61, 62, 63, 64, 3, 4, 5, 6, 7, 8), diff=1, n=80))
    write("corpus_formats_scp", "raw16_nodiff", scp(lead_codes=(2,), diff=0, huffman=False, n=50))
    write("corpus_formats_scp", "truncated", scp()[:300])
    write("corpus_formats_scp", "bimodal_ref_diff2", scp_bimodal())
    write("corpus_formats_scp", "bimodal_noref_diff1", scp_bimodal(diff=1, subtract=False, factor=2))
    write("corpus_formats_scp", "bimodal_v11", scp_bimodal(lead_codes=(2,), version=11))
    write("corpus_formats_dicom", "explicit_preamble", dicom())
    write("corpus_formats_dicom", "implicit_preamble", dicom(explicit=False))
    write("corpus_formats_dicom", "explicit_no_preamble_mv", dicom(preamble=False, units=b"mV"))
    write("corpus_formats_dicom", "explicit_ob_words", dicom(data_vr=b"OB"))
    write("corpus_formats_dicom", "pressure_units", dicom(units=b"mm[Hg]", n=20))
    write("corpus_formats_xml", "aecg_two_leads", aecg())
    write("corpus_formats_xml", "aecg_eight_leads", aecg(leads=("I", "II", "V1", "V2", "V3", "V4", "V5", "V6"), n=20))
    write("corpus_formats_xml", "muse_eight_leads", muse())
    write("corpus_formats_xml", "cardiosoft_two_leads", cardiosoft())
    write("corpus_formats_xml", "sierra_103_xli", sierra())
    write("corpus_formats_xml", "sierra_104_xli_utf16", sierra("1.04", utf16=True))
    write("corpus_formats_xml", "sierra_103_plain", sierra(plain=True))
    write("corpus_formats_xml", "unknown_root", b"<?xml version='1.0'?><ecg/>")
    counts = signal(2, 64)
    write("corpus_formats_xli", "two_leads_64", bytes([2]) + struct.pack("<H", 64) + xli(counts))
    write("corpus_formats_xli", "one_lead_10", bytes([1]) + struct.pack("<H", 10) + xli(signal(1, 10)))
    write("corpus_formats_xli", "short_chunk", bytes([1]) + struct.pack("<H", 64) + xli(counts)[:20])


if __name__ == "__main__":
    main()
