/**
 * The administration's modules: where each lives and what opens it. The
 * navigation shows only the modules the signed-in account may open; an
 * address typed without the permission answers "not allowed".
 */
import type { Me } from "../auth/me";
import type { AdminKey } from "./i18n";

export interface Section {
  path: string;
  label: AdminKey;
  /** Any one of these opens the module. */
  anyOf: string[];
}

export const SECTIONS: Section[] = [
  { path: "/admin", label: "nav.home", anyOf: ["users.view"] },
  { path: "/admin/applicants", label: "nav.applicants", anyOf: ["users.view"] },
  { path: "/admin/members", label: "nav.members", anyOf: ["users.view"] },
  { path: "/admin/invitations", label: "nav.invitations", anyOf: ["users.invite"] },
  { path: "/admin/imports", label: "nav.imports", anyOf: ["users.import"] },
  { path: "/admin/roles", label: "nav.roles", anyOf: ["permissions.view"] },
  { path: "/admin/plans", label: "nav.plans", anyOf: ["subscriptions.plans"] },
  {
    path: "/admin/subscriptions",
    label: "nav.subscriptions",
    anyOf: ["subscriptions.view", "subscriptions.manual_payment"],
  },
  {
    path: "/admin/donations",
    label: "nav.donations",
    anyOf: ["donations.view", "donations.stats", "donations.create"],
  },
  {
    path: "/admin/events",
    label: "nav.events",
    anyOf: [
      "events.create",
      "events.edit",
      "events.publish",
      "events.delete",
      "events.rsvps",
      "events.attendance",
      "gallery.upload",
    ],
  },
  {
    path: "/admin/documents",
    label: "nav.documents",
    anyOf: [
      "newsletters.create",
      "newsletters.edit",
      "newsletters.delete",
      "financials.create",
      "financials.edit",
      "financials.delete",
      "bylaws.create",
      "bylaws.edit",
      "bylaws.delete",
    ],
  },
  { path: "/admin/audit", label: "nav.audit", anyOf: ["users.audit"] },
  {
    path: "/admin/settings",
    label: "nav.settings",
    anyOf: ["settings.edit", "settings.logo", "settings.storage"],
  },
];

/** Whether `me` may open `section`. */
export function opens(me: Me, section: Section): boolean {
  return section.anyOf.some((code) => me.permissions.includes(code));
}

/** The section an admin path belongs to (the longest prefix). */
export function sectionOf(path: string): Section | undefined {
  return SECTIONS.filter((s) => path === s.path || path.startsWith(s.path + "/")).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}

/** Where the administration starts for `me`: the first module their
 * permissions open, or nothing for an account that opens none (a member). */
export function adminEntry(me: Me): string | undefined {
  return SECTIONS.find((s) => opens(me, s))?.path;
}
