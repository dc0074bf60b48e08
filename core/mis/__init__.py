"""Pupils from the school's MIS, kept in step: CTF and CSV readers (:mod:`.ctf`,
:mod:`.csvfile`), the one row shape (:mod:`.rows`), matching and storing (:mod:`.sync`), the
import's life (:mod:`.service`), the review queue and "left?" list (:mod:`.queue`), the drop
folder (:mod:`.folder`) and plugin sources (:mod:`.sources`). See docs/guide/onboarding.md."""
