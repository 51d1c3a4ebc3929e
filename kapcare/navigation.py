"""The app shell's menu: the flat list of places a user may go (built by
`context_processors.navigation`, one policy check per item) grouped the way the clinic
thinks of its work, so that an administrator sees six menus rather than seventeen links.

An item whose label no group names stays at the top level, so a page added later is never
hidden; a group with a single item is shown as that item's link."""

from dataclasses import dataclass, field

# Group label → the item labels it holds, in the order the menu shows them.
GROUPS: dict[str, tuple[str, ...]] = {
    "Patients": (
        "Patients",
        "Safety alerts",
        "Consultation requests",
        "Referrals",
        "Good Faith Estimates",
        "Money reports",
    ),
    "Schedule": ("Schedule", "Calendar feed"),
    "Your care": ("Your results", "Journal", "Guides", "Find a therapist"),
    "Evidence": ("Outcomes", "ASKP3 conformance", "Research export"),
    "Therapists": ("Therapists", "Your directory entry"),
    "Clinic": (
        "Controlled substances",
        "Clinic settings",
        "Consent documents",
        "Screening catalogue",
        "Prices",
        "Billing codes",
        "Patient education",
        "Rooms",
        "Working hours",
        "People",
        "Access log",
    ),
}
# Shown in the account menu (under the person's name) rather than the main menu.
ACCOUNT_ITEMS = ("Profile", "Who viewed my record")


@dataclass
class MenuEntry:
    label: str
    url: str = ""
    is_current: bool = False
    children: list["MenuEntry"] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return bool(self.children)


def _group_of(label) -> str | None:
    if not isinstance(label, str):
        return None  # a lazy label (the unread count) stays unevaluated and on top
    for group, labels in GROUPS.items():
        if label in labels:
            return group
    return None


def group_navigation(
    items: list[tuple[str, str]], path: str
) -> tuple[list[MenuEntry], list[MenuEntry]]:
    """(main menu, account menu) from the flat (label, url) items, in first-seen order."""
    main: list[MenuEntry] = []
    account: list[MenuEntry] = []
    groups: dict[str, MenuEntry] = {}
    for label, url in items:
        entry = MenuEntry(label, url, is_current=path == url)
        if isinstance(label, str) and label in ACCOUNT_ITEMS:
            account.append(entry)
            continue
        group = _group_of(label)
        if group is None:
            main.append(entry)
            continue
        if group not in groups:
            groups[group] = MenuEntry(group)
            main.append(groups[group])
        groups[group].children.append(entry)
        groups[group].is_current = groups[group].is_current or entry.is_current
    return [_flatten_single(entry) for entry in main], account


def _flatten_single(entry: MenuEntry) -> MenuEntry:
    """A group of one is shown as its one link, under the link's own name."""
    if len(entry.children) == 1:
        return entry.children[0]
    return entry
