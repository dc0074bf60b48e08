"""The SchoolScoped mixin writes the tenant constraints a model would otherwise spell out by
hand: the unique ``(id, school_id)`` of a table other rows point at, and the composite foreign
keys that keep a row's links inside its school. That the real tables get exactly the names
the migrations created is tested in test_migrations.py."""
from __future__ import annotations

from sqlalchemy import ForeignKey, ForeignKeyConstraint, MetaData, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.db import NAMING, NO_SCHOOL_KEY, Base, SchoolScoped, school_key


def _keys(table) -> set[tuple]:
    found = set()
    for c in table.constraints:
        if isinstance(c, UniqueConstraint):
            found.add(("unique", c.name, tuple(col.name for col in c.columns)))
        elif isinstance(c, ForeignKeyConstraint):
            found.add(("foreign", c.name, tuple(c.column_keys),
                       tuple(e.target_fullname for e in c.elements)))
    return found


def test_a_new_model_gets_its_tenant_keys_by_default():
    class Scratch(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING)

    class Visit(SchoolScoped, Scratch):
        __tablename__ = "scratch_visits"
        __school_key_target__ = True
        id: Mapped[int] = mapped_column(primary_key=True)
        pupil_id: Mapped[int]  # a pupil of the row's school, without saying so

    class Note(SchoolScoped, Scratch):
        __tablename__ = "scratch_notes"
        __table_args__ = (UniqueConstraint("school_id", "body"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        visit_id: Mapped[int | None] = school_key("scratch_visits", index=True)
        pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))  # its own choice
        body: Mapped[str]

    class Tally(SchoolScoped, Scratch):
        __tablename__ = "scratch_tallies"
        pupil_id: Mapped[int] = mapped_column(primary_key=True, info=NO_SCHOOL_KEY)

    assert _keys(Visit.__table__) == {
        ("unique", "uq_scratch_visits_id_school_id", ("id", "school_id")),
        ("foreign", "fk_scratch_visits_pupil_id_school_id_pupils", ("pupil_id", "school_id"),
         ("pupils.id", "pupils.school_id")),
        ("foreign", "fk_scratch_visits_school_id_schools", ("school_id",), ("schools.id",)),
        ("foreign", "fk_scratch_visits_trust_id_trusts", ("trust_id",), ("trusts.id",)),
    }
    assert _keys(Note.__table__) == {
        ("unique", "uq_scratch_notes_school_id_body", ("school_id", "body")),
        ("foreign", "fk_scratch_notes_visit_id_school_id_scratch_visits",
         ("visit_id", "school_id"), ("scratch_visits.id", "scratch_visits.school_id")),
        ("foreign", "fk_scratch_notes_pupil_id_pupils", ("pupil_id",), ("pupils.id",)),
        ("foreign", "fk_scratch_notes_school_id_schools", ("school_id",), ("schools.id",)),
        ("foreign", "fk_scratch_notes_trust_id_trusts", ("trust_id",), ("trusts.id",)),
    }
    assert Note.__table__.c.visit_id.nullable and Note.__table__.c.visit_id.index
    assert {k[0] for k in _keys(Tally.__table__) if "pupil_id" in k[2]} == set()


def test_a_key_written_by_hand_is_not_added_twice():
    class Scratch(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING)

    class Handmade(SchoolScoped, Scratch):
        __tablename__ = "scratch_handmade"
        __school_key_target__ = True
        __table_args__ = (
            UniqueConstraint("id", "school_id"),
            ForeignKeyConstraint(["pupil_id", "school_id"], ["pupils.id", "pupils.school_id"]),
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        pupil_id: Mapped[int]

    keys = _keys(Handmade.__table__)
    assert sum(1 for k in keys if k[2] == ("id", "school_id")) == 1
    assert len(Handmade.__table__.constraints) == len({c.name for c in
                                                       Handmade.__table__.constraints})


def test_every_school_key_points_at_a_key_target():
    # a composite key needs the unique (id, school_id) at the other end: PostgreSQL refuses
    # the foreign key without it
    from core.plugins import make_host

    make_host()  # loading the plugins imports their models
    targets = {table.name for table in Base.metadata.tables.values()
               if any(isinstance(c, UniqueConstraint)
                      and [col.name for col in c.columns] == ["id", "school_id"]
                      for c in table.constraints)}
    pointed_at = {fk.referred_table.name for table in Base.metadata.tables.values()
                  for fk in table.foreign_key_constraints
                  if [e.column.name for e in fk.elements] == ["id", "school_id"]}
    assert pointed_at <= targets
