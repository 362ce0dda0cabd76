"""The made-up kind: a *proposal*, a document the engine has never heard of, written as a new
kind of this product would be: the contract's columns from ``workflow.models.RoutedDocument``,
its own states, and its workflow in one table (``workflows.py``), installed at start-up."""

from __future__ import annotations

from django.db import models
from django_fsm import FSMField

from workflow.models import RoutedDocument

KIND = "proposal"


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    COORDINATION = "coordination", "In coordination"
    APPROVAL = "approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"
    ARCHIVED = "archived", "Archived"


class Proposal(RoutedDocument):
    workflow_kind = KIND

    title = models.CharField(max_length=200)
    state = FSMField(default=ProposalState.DRAFT, choices=ProposalState.choices, protected=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title
