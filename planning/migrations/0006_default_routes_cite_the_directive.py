"""The default routes of an existing installation follow the directive (issue #22, point 1): each
step of a route still as loaded cites its paragraph, and a campaign plan route still ending with
the policy office's approval (the earlier default) is approved by the owning commander instead
(Encl. 2, 10.a), USD(P)'s oversight staying a review (1.c). A route an administrator has changed
is left as it is."""

from django.db import migrations

# The earlier default of each route: (step, designation, relation, organization acronym).
EARLIER = {
    "campaign_plan": [("coordination", "", "supporting_organizations", ""), ("coordination", "", "", "USD(AT&L)"),
                      ("review", "joint_staff", "", ""), ("review", "policy_office", "", ""),
                      ("approval", "policy_office", "", "")],
    "campaign_support_plan": [("coordination", "policy_office", "", ""), ("coordination", "", "supported_commands", ""),
                              ("review", "joint_staff", "", ""), ("approval", "", "owner", "")],
}


def forwards(apps, schema_editor):
    from planning.reference import DEFAULT_ROUTES

    Route = apps.get_model("workflow", "Route")
    for kind, earlier in EARLIER.items():
        name, wanted = DEFAULT_ROUTES[kind]
        route = Route.objects.filter(document_kind=kind, is_default=True, name=name).first()
        if route is None:
            continue
        steps = list(route.steps.select_related("organization").order_by("position", "pk"))
        signature = [(s.step, s.designation, s.relation, s.organization.acronym if s.organization_id else "")
                     for s in steps]
        if signature != earlier:
            continue  # changed by an administrator: theirs to keep
        for step, (_step, _acronym, designation, relation, _days, authority) in zip(steps, wanted, strict=True):
            step.designation, step.relation, step.authority = designation, relation, step.authority or authority
            step.save(update_fields=["designation", "relation", "authority"])


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0005_plan_one_relation"),
        ("workflow", "0009_route_step_authority"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
