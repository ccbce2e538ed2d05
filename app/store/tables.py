"""The database's tables, as SQLAlchemy models: what Alembic's migrations create."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ExampleRow(Base):
    """One drawing a person labelled: taught in teach mode ("example"), or a reading they
    corrected ("correction")."""

    __tablename__ = "examples"

    # BIGINT on PostgreSQL; SQLite's rowid (INTEGER PRIMARY KEY) otherwise.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # A hash of the profile id: the id itself, the only key to the examples, is never stored.
    profile: Mapped[str] = mapped_column(String(64))
    label: Mapped[int] = mapped_column(SmallInteger)  # a digit, or 10: not a digit
    kind: Mapped[str] = mapped_column(String(16))  # "example" or "correction"
    image: Mapped[bytes] = mapped_column(LargeBinary)  # the 28x28 the model read, as a grey PNG
    model: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(16))  # what the model said: a digit, or "not a digit"
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_examples_profile_id", "profile", "id"),)


class ModelVersionRow(Base):
    """A model's version: its folder's files (card, LiteRT model, layers model), kept where
    every pod can fetch them."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # the model it is a version of: digits
    version: Mapped[str] = mapped_column(String(64))
    card: Mapped[str] = mapped_column(Text)  # model_card.json
    files: Mapped[bytes] = mapped_column(LargeBinary)  # the folder's files, as a zip
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_versions_name_version"),)


class PromotionRow(Base):
    """A version put in service; the newest promotion of a model is the version it serves."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    promoted: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(
        Text
    )  # why: the gate's figures, --force and what it overrode, a rollback

    __table_args__ = (Index("ix_promotions_name_id", "name", "id"),)


class CountRow(Base):
    """A running total, changed in the same transaction as what it counts: "examples", the
    examples the store keeps (its cap's count, without counting the table)."""

    __tablename__ = "counts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
