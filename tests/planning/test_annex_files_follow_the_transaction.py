"""An annex's file follows the transaction that stores its row (issue #22, point 7: annexes
"stored on the file system by default"): a transaction that rolls back, whoever's it is, leaves no
file behind on the storage; a removed annex's file goes only once the removal commits. On the real
file-system storage, in a temporary MEDIA_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from organizations.models import Role
from planning.models import PlanAnnex
from planning.services import annex_attach, annex_remove

AO = Role.ACTION_OFFICER
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Interrupted(Exception):
    """What the caller's later work raised, after the annex was attached."""


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""


def _files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _attach(world, plan, letter="A"):
    return annex_attach(plan=plan, by=world.user("EUCOM", AO), letter=letter, title="Partner force posture",
                        upload=SimpleUploadedFile("posture.pdf", PDF))


def test_4a_an_annex_whose_callers_transaction_rolls_back_leaves_no_file_on_storage(world, settings):
    """The service committed its own block, then the caller's transaction (an admin save with other
    inlines, an API request) failed: the row is gone, and so is the file."""
    plan = world.ready_plan()
    with pytest.raises(Interrupted), transaction.atomic():
        annex = _attach(world, plan)
        assert Path(annex.file.path).read_bytes() == PDF  # written while the transaction runs
        raise Interrupted
    assert not PlanAnnex.objects.exists()
    assert _files(settings) == []


def test_4a_an_annex_committed_keeps_its_file_and_one_refused_later_in_the_transaction_does_not(world, settings):
    plan = world.ready_plan()
    with transaction.atomic():
        kept = _attach(world, plan, "A")
    with pytest.raises(Interrupted), transaction.atomic():
        _attach(world, plan, "B")
        raise Interrupted
    assert list(PlanAnnex.objects.values_list("letter", flat=True)) == ["A"]
    assert _files(settings) == [kept.file.name]


def test_4a_a_removed_annexs_file_is_deleted_only_when_the_removal_commits(world, settings,
                                                                          django_capture_on_commit_callbacks):
    plan = world.ready_plan()
    annex = _attach(world, plan)
    with pytest.raises(Interrupted), transaction.atomic():
        annex_remove(annex=annex, by=world.user("EUCOM", AO))
        raise Interrupted
    assert PlanAnnex.objects.filter(pk=annex.pk).exists()
    assert Path(annex.file.path).read_bytes() == PDF  # the row came back, and its file is there

    with django_capture_on_commit_callbacks(execute=True):
        annex_remove(annex=annex, by=world.user("EUCOM", AO))
    assert not PlanAnnex.objects.exists()
    assert _files(settings) == []


@pytest.mark.django_db(transaction=True)
def test_4a_an_annex_attached_in_a_transaction_that_rolls_back_at_the_database_leaves_no_file(world, settings):
    """The same through real commits and a real rollback of the outermost transaction."""
    plan = world.ready_plan()
    with pytest.raises(Interrupted), transaction.atomic():
        _attach(world, plan, "A")
        raise Interrupted
    assert _files(settings) == []
    committed = _attach(world, plan, "B")  # outside any transaction: committed by the service
    assert _files(settings) == [committed.file.name]
    annex_remove(annex=committed, by=world.user("EUCOM", AO))
    assert _files(settings) == []
