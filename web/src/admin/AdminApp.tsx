/**
 * The administration: loaded only when an account that may use it opens
 * /admin (members never download it). Its navigation by module shows what
 * the account's permissions allow; an address it does not allow answers
 * "not allowed".
 */
import type { ComponentType } from "preact";
import { Route, Router, useLocation } from "preact-iso";
import { useMe, type Me } from "../auth/me";
import { NotAllowed } from "../app/NotAllowed";
import { ta } from "./i18n";
import { opens, sectionOf, SECTIONS } from "./sections";
import { AdminHome } from "./home/AdminHome";
import { Applicants } from "./members/Applicants";
import { MembersList } from "./members/MembersList";
import { MemberPage } from "./members/MemberPage";
import { Imports } from "./people/Imports";
import { Invitations } from "./people/Invitations";
import { Roles } from "./roles/Roles";
import { Plans } from "./memberships/Plans";
import { Subscriptions } from "./memberships/Subscriptions";
import { AdminDonations } from "./donations/AdminDonations";
import { AdminEvents } from "./events/AdminEvents";
import { EventAdmin } from "./events/EventAdmin";
import { AdminDocuments } from "./documents/AdminDocuments";
import { AuditTrail } from "./audit/AuditTrail";
import { AdminSettings } from "./settings/AdminSettings";
import "./admin.css";

/** Each admin page gets the signed-in account. */
type AdminPage = ComponentType<{ me: Me; id?: string }>;

/** `Component` for accounts whose permissions open the module of the
 * address, "not allowed" for anyone else. Made once per page (a new
 * component each render would start the page over). */
function guarded(Component: AdminPage) {
  return function Guarded({ id }: { id?: string }) {
    const state = useMe();
    const { path } = useLocation();
    if (state.phase !== "signed-in") return null;
    const section = sectionOf(path);
    return section && opens(state.me, section) ? (
      <Component me={state.me} id={id} />
    ) : (
      <NotAllowed />
    );
  };
}

const pages = {
  home: guarded(AdminHome),
  applicants: guarded(Applicants),
  members: guarded(MembersList),
  member: guarded(MemberPage),
  invitations: guarded(Invitations),
  imports: guarded(Imports),
  roles: guarded(Roles),
  plans: guarded(Plans),
  subscriptions: guarded(Subscriptions),
  donations: guarded(AdminDonations),
  events: guarded(AdminEvents),
  event: guarded(EventAdmin),
  documents: guarded(AdminDocuments),
  settings: guarded(AdminSettings),
  audit: guarded(AuditTrail),
};

/** The administration for `me`, whose permissions open some module of it
 * (`adminEntry`; anyone else is answered "not allowed" before this code is
 * loaded). */
export function AdminApp({ me }: { me: Me }) {
  const { path } = useLocation();
  const current = sectionOf(path);
  return (
    <div class="admin">
      <nav class="admin-nav" aria-label={ta("nav.label")}>
        <ul>
          {SECTIONS.filter((s) => opens(me, s)).map((s) => (
            <li key={s.path}>
              <a href={s.path} aria-current={current?.path === s.path ? "page" : undefined}>
                {ta(s.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="admin-content">
        <Router>
          <Route path="/" component={pages.home} />
          <Route path="/applicants" component={pages.applicants} />
          <Route path="/members" component={pages.members} />
          <Route path="/members/:id" component={pages.member} />
          <Route path="/invitations" component={pages.invitations} />
          <Route path="/imports" component={pages.imports} />
          <Route path="/roles" component={pages.roles} />
          <Route path="/plans" component={pages.plans} />
          <Route path="/subscriptions" component={pages.subscriptions} />
          <Route path="/donations" component={pages.donations} />
          <Route path="/events" component={pages.events} />
          <Route path="/events/:id" component={pages.event} />
          <Route path="/documents" component={pages.documents} />
          <Route path="/settings" component={pages.settings} />
          <Route path="/audit" component={pages.audit} />
          <Route default component={NotAllowed} />
        </Router>
      </div>
    </div>
  );
}
