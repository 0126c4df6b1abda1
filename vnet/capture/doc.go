// Package capture is the lab's tcpdump: it turns the packets an interface
// tap sees into tcpdump's own text (timestamps, flags, relative sequence
// numbers, options, -A and -X dumps), filters them with pcap-filter
// expressions, and writes pcap files that tcpdump, tshark and Wireshark
// read. It works on raw IPv4 bytes and knows nothing of stacks.
package capture
