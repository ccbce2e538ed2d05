"""What tests and benchmarks share: drawings of digits and numbers as a pad makes
them (`support.drawing`), real servers on 127.0.0.1 (`support.servers`), and a
loopback load generator (`support.loadgen`). Neither imports the other."""
