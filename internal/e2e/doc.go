// Package e2e holds end-to-end tests of the otzone binary against hostile
// input: a capture whose wire strings (DHCP host name, LLDP system name, DNS
// answer names, HTTP Server header, PROFINET DCP station name, Modbus
// Read Device Identification, EtherNet/IP product name) carry terminal
// escape sequences, carriage returns, NUL, invalid UTF-8, bidi overrides,
// markup, spreadsheet formulas and fake table rows; damaged and foreign
// files; and usage errors. The tests build the binary once, run every
// command on that input and check that terminal output holds no raw control
// characters, CSV cells cannot be evaluated as formulas, JSON parses, exit
// codes follow CONTRACT.md (0 ok, 1 failure, 2 usage) and error lines are one
// line naming the file and position.
package e2e
