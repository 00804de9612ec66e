// Package c37118 dissects IEEE C37.118.2 (2011; 2005 frames too)
// synchrophasor frames on TCP 4712 and UDP 4713: the common frame header
// (SYNC 0xAA with frame type and version, FRAMESIZE, IDCODE, SOC, FRACSEC),
// the CRC-CCITT check word, CFG-1/CFG-2 configuration frames (station
// names, PMU id codes, channel counts, nominal frequency, data rate),
// header frames and command frames.
//
// Observations:
//   - KindService: the source of data, configuration or header frames (a
//     PMU, or a PDC forwarding) "server"; the sender of command frames (a
//     PDC, historian or engineering tool) "client". Protocol "c37118".
//   - KindAttribute on the source: "c37118.idcode" (data stream id code),
//     "c37118.station_name" (STN of every PMU in a configuration frame,
//     trimmed), "c37118.pmu_idcode", "c37118.data_rate" (frames per second,
//     or "1/N s" when negative), "c37118.nominal_frequency" ("50"/"60"),
//     "c37118.version" ("2005"/"2011"). Confidence 0.9.
//   - KindOperation per command frame: turn_off_data and turn_on_data
//     "control" (they stop and start the measurement stream),
//     send_header/send_cfg1/send_cfg2/send_cfg3 "read", extended "other".
//
// Detection: SYNC 0xAA, frame type 0-5, version 1-3, FRAMESIZE at least
// 16, and (once the whole frame is there) a matching CRC-CCITT.
//
// Known gaps: CFG-3 frames (variable-length names) and the phasor values
// of data frames are not decoded; IEEE C37.118 over IEC 61850-90-5 (R-SV)
// is not covered.
package c37118
