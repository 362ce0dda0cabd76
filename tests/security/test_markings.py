"""The banner computed from the portions: a table of cases."""

import pytest

from security.markings import Marking, combine


def m(level="U", noforn=False, rel_to=(), cui=(), dissem=()):
    return Marking(level=level, noforn=noforn, rel_to=frozenset(rel_to), cui_categories=frozenset(cui),
                   dissemination=frozenset(dissem))


@pytest.mark.parametrize(("portions", "banner"), [
    ([], "UNCLASSIFIED"),
    ([m("U"), m("U")], "UNCLASSIFIED"),
    ([m("U"), m("C"), m("S")], "SECRET"),
    ([m("CUI", cui=("PRVCY",)), m("U")], "CUI//PRVCY"),
    ([m("S", rel_to=("GB", "AU")), m("C", rel_to=("GB", "CA"))], "SECRET//REL TO USA, GBR"),
    ([m("S", rel_to=("GB", "AU")), m("S", noforn=True)], "SECRET//NOFORN"),
    ([m("S", rel_to=("GB",)), m("S", rel_to=("AU",))], "SECRET//NOFORN"),
    ([m("S", rel_to=("GB",)), m("C")], "SECRET//NOFORN"),
    ([m("S", rel_to=("GB", "AU", "CA", "NZ")), m("U")], "SECRET//REL TO USA, AUS, CAN, GBR, NZL"),
    ([m("TS", noforn=True), m("U", dissem=("FEDCON",))], "TOP SECRET//NOFORN//FEDCON"),
])
def test_banner_is_the_highest_level_with_noforn_over_rel_to_and_shared_releasability(portions, banner):
    assert combine(portions).banner == banner


def test_portion_marks():
    assert m("S", rel_to=("GB",)).portion == "(S//REL)"
    assert m("C", noforn=True).portion == "(C//NF)"
    assert m("U").portion == "(U)"
