"""Search and questions across a student's lectures (docs/DESIGN.md section 13). The
index entry is typed in `records`."""
