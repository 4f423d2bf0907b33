"""Reviews: a note's checked questions and concepts as cards scheduled by FSRS
(docs/DESIGN.md section 12). The card record is typed in `records`."""
