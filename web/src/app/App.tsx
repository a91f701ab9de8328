import { lazy, LocationProvider, Route, Router } from "preact-iso";
import { useEffect } from "preact/hooks";
import { adminEntry } from "../admin/sections";
import { resume } from "../auth/me";
import { ForgotPassword, ResetPassword } from "../features/account/Passwords";
import { Invitation } from "../features/account/Invitation";
import { Register } from "../features/account/Register";
import { SignIn } from "../features/account/SignIn";
import { VerifyEmail } from "../features/account/VerifyEmail";
import { DirectoryPage } from "../features/directory/DirectoryPage";
import { DocumentsPage } from "../features/documents/DocumentsPage";
import { DonatePage } from "../features/donations/DonatePage";
import { MyDonations } from "../features/donations/MyDonations";
import { ThanksPage } from "../features/donations/ThanksPage";
import { EventPage } from "../features/events/EventPage";
import { EventsPage } from "../features/events/EventsPage";
import { Home } from "../features/home/Home";
import { MembershipComplete } from "../features/membership/Complete";
import { MembershipPage } from "../features/membership/MembershipPage";
import { ChangeEmail, ConfirmEmailChange } from "../features/profile/ChangeEmail";
import { MyDataExport } from "../features/profile/DataExport";
import { ConfirmErasure, RequestErasure } from "../features/profile/Erasure";
import { ChangePassword, ProfilePage } from "../features/profile/ProfilePage";
import { t } from "../i18n";
import { Header } from "./Header";
import { NotAllowed } from "./NotAllowed";
import { NotFound } from "./NotFound";
import { SignedIn } from "./SignedIn";

/** Pages only the signed in may open. */
const membership = () => <SignedIn>{(me) => <MembershipPage me={me} />}</SignedIn>;
const complete = () => <SignedIn>{() => <MembershipComplete />}</SignedIn>;
const profile = () => <SignedIn>{(me) => <ProfilePage me={me} />}</SignedIn>;
const password = () => <SignedIn>{() => <ChangePassword />}</SignedIn>;
const email = () => <SignedIn>{(me) => <ChangeEmail me={me} />}</SignedIn>;
const erase = () => <SignedIn>{(me) => <RequestErasure me={me} />}</SignedIn>;
const dataExport = () => <SignedIn>{(me) => <MyDataExport me={me} />}</SignedIn>;
const documents = () => <SignedIn>{(me) => <DocumentsPage me={me} />}</SignedIn>;
const donations = () => <SignedIn>{() => <MyDonations />}</SignedIn>;
const directory = () => <SignedIn>{() => <DirectoryPage />}</SignedIn>;

/** The administration's code, fetched the first time an account that may
 * use it opens /admin: members never download it. */
const AdminApp = lazy(() => import("../admin/AdminApp").then((module) => module.AdminApp));
const admin = () => (
  <SignedIn>{(me) => (adminEntry(me) ? <AdminApp me={me} /> : <NotAllowed />)}</SignedIn>
);

export function App() {
  useEffect(() => {
    void resume();
  }, []);
  return (
    <LocationProvider>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/" component={Home} />
          <Route path="/register" component={Register} />
          <Route path="/verify-email" component={VerifyEmail} />
          <Route path="/login" component={SignIn} />
          <Route path="/forgot-password" component={ForgotPassword} />
          <Route path="/reset-password" component={ResetPassword} />
          <Route path="/invitations/:token" component={Invitation} />
          <Route path="/membership" component={membership} />
          <Route path="/membership/complete" component={complete} />
          <Route path="/profile" component={profile} />
          <Route path="/profile/password" component={password} />
          <Route path="/profile/email" component={email} />
          <Route path="/confirm-email-change" component={ConfirmEmailChange} />
          <Route path="/profile/export" component={dataExport} />
          <Route path="/profile/erase" component={erase} />
          <Route path="/confirm-erasure" component={ConfirmErasure} />
          <Route path="/events" component={EventsPage} />
          <Route path="/events/:id" component={EventPage} />
          <Route path="/documents" component={documents} />
          <Route path="/donate" component={DonatePage} />
          <Route path="/donate/thanks" component={ThanksPage} />
          <Route path="/donations" component={donations} />
          <Route path="/directory" component={directory} />
          <Route path="/admin" component={admin} />
          <Route path="/admin/*" component={admin} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  );
}
