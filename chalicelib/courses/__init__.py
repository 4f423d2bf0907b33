"""Courses: a playlist followed lecture by lecture (docs/DESIGN.md section 14). The
course record is typed in `records`."""
