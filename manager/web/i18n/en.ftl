# Web UI strings — English (the second language).
# Every key must also be in vi.ftl (checked by i18n::tests).

app-name = Bangtin
app-tagline = Public information boards
lang-switch = Tiếng Việt
lang-switch-label = Switch to Vietnamese (Chuyển sang tiếng Việt)

nav-main = Main navigation
nav-boards = Boards
nav-media = Media
nav-layouts = Layouts
nav-schedules = Schedules
nav-info = Essential information
nav-speakers = Loudspeakers
nav-reports = Reports
nav-admin = Administration
nav-skip = Skip to main content

sign-in = Sign in
sign-in-title = Sign in to manage the boards
sign-out = Sign out
username = User name
password = Password
signed-in-as = Signed in as { $name }

password-title = Change password
password-must-change = An administrator set your password. Choose a new one before you go on.
password-new = New password (at least 10 characters)
password-repeat = Repeat the new password
password-mismatch = The two passwords differ.
password-changed = Password changed.
password-change = Change password

save = Save
cancel = Cancel
apply = Apply
search = Search
filter = Filter
all = All
none = None
yes = Yes
no = No
back = Back
delete = Delete
confirm = Confirm
previous = Previous
next = Next
page-of = Page { $page } of { $pages }
saved = Saved.
error-title = Something went wrong
not-found-title = Page not found
not-found-text = This page does not exist, or you may not see it.
forbidden-title = Not allowed
error-field = Problem in { $field }: { $message }
read-only = You may only look.

ago-now = just now
ago-minutes = { $n ->
    [one] { $n } minute ago
   *[other] { $n } minutes ago
}
ago-hours = { $n ->
    [one] { $n } hour ago
   *[other] { $n } hours ago
}
ago-days = { $n ->
    [one] { $n } day ago
   *[other] { $n } days ago
}
never = never
for-minutes = { $n } min
for-hours = { $n } h
for-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}

weekday-0 = Sunday
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday

## Administration (admin-…)
admin-tabs = Administration sections
admin-tab-units = Units
admin-tab-users = Accounts
admin-tab-tokens = API tokens
admin-tab-sources = Sources
admin-tab-audit = Audit log
admin-actions = Actions
admin-created = Created
admin-secret-once = Shown this once only: copy it and keep it safe now. The manager stores only a hash and cannot show it again.

admin-units-title = Administrative units
admin-units-count = { $n ->
    [one] 1 unit
   *[other] { $n } units
}
admin-unit-code = Unit code
admin-unit-code-help = The official code of the province or commune, e.g. 19 or 05443.
admin-unit-name = Unit name
admin-unit-parent = Parent unit
admin-unit-no-parent = None (province)
admin-unit-province = Province
admin-unit-timezone = Time zone
admin-unit-communes = { $n ->
    [one] 1 commune
   *[other] { $n } communes
}
admin-unit-new = Add a unit
admin-unit-create = Add unit
admin-unit-created = Unit { $code } added.

admin-users-title = Accounts
admin-users-count = { $n ->
    [one] 1 account
   *[other] { $n } accounts
}
admin-user-display-name = Display name
admin-user-role = Role
admin-user-units = Units
admin-user-units-help = Editors and viewers need at least one unit; administrators work in every unit.
admin-user-all-units = Every unit
admin-user-state = State
admin-user-active = Active
admin-user-disabled = Locked
admin-user-must-change = Must change password
admin-user-new = Add an account
admin-user-password = Initial password
admin-user-password-help = At least 10 characters. The user must change it at the first sign-in.
admin-user-create = Add account
admin-user-created = Account { $name } added. The user must change the password at the first sign-in.
admin-user-title = Account { $name }
admin-user-back = ← All accounts
admin-user-created-at = Created
admin-user-access = Role and units
admin-user-reset = Reset password
admin-user-new-password = New password
admin-user-reset-help = The user must change this password at the next sign-in.
admin-user-reset-self = This is your own account: the new password applies at once.
admin-user-reset-submit = Set new password
admin-user-lock = Lock account
admin-user-lock-help = A locked account cannot sign in, and its API tokens stop working.
admin-user-unlock-help = This account is locked.
admin-user-lock-self = You cannot lock your own account.
admin-user-disable = Lock account
admin-user-enable = Unlock account
admin-user-disable-confirm = Lock this account? The user will no longer be able to sign in.
admin-user-done-access = Role and units saved.
admin-user-done-password = New password set.
admin-user-done-disabled = Account locked.
admin-user-done-enabled = Account unlocked.
admin-role-admin = Administrator (province)
admin-role-editor = Editor
admin-role-viewer = Viewer

admin-tokens-title = API tokens
admin-tokens-help = Tokens let programs call the API on your behalf, with exactly your rights. Revoke a token you no longer use.
admin-tokens-count = { $n ->
    [one] Your 1 token
   *[other] Your { $n } tokens
}
admin-tokens-none = You have no tokens yet.
admin-token-name = Token name
admin-token-name-help = To remember what it is for, e.g. "schedule sync".
admin-token-id = Token id
admin-token-new = Create a token
admin-token-create = Create token
admin-token-created = Token "{ $name }" created
admin-token-secret = Token
admin-token-revoke = Revoke
admin-token-revoke-named = Revoke token { $name }
admin-token-revoke-confirm = Revoke token "{ $name }"? Programs using it will be refused.
admin-token-revoked = Token revoked.
admin-token-revoke-any = Revoke someone else's token
admin-token-revoke-any-help = Administrators may revoke any token by its id; ids are in the audit log (token.create).
admin-token-in-audit = See the audit log
admin-token-not-found = No token with this id.

admin-sources-title = Sources
admin-sources-help = The province's source information systems send bulletins and alerts, each signed with its own key.
admin-sources-count = { $n ->
    [one] 1 source
   *[other] { $n } sources
}
admin-sources-none = No source registered yet.
admin-source-id = Source id
admin-source-name = Source name
admin-source-units = Units it may address
admin-source-report-url = Report address
admin-source-report-url-help = Optional. The manager pushes signed reports to this http or https address.
admin-source-report-every = Push reports every (seconds, 1–3600)
admin-source-every = every { $n } s
admin-source-no-push = no push
admin-source-active = Receiving
admin-source-disabled = Stopped
admin-source-new = Register a source
admin-source-create = Register source
admin-source-created = Source "{ $name }" registered
admin-source-rotated = New key of source "{ $name }"
admin-source-key = Signing key (HMAC-SHA256, base64)
admin-source-rotate = New key
admin-source-rotate-named = New key for { $name }
admin-source-rotate-confirm = Give "{ $name }" a new key? The old key stops working at once.
admin-source-disable = Stop
admin-source-disable-named = Stop source { $name }
admin-source-enable = Receive again
admin-source-enable-named = Let source { $name } send again
admin-source-done-disabled = Source stopped: everything it sends is refused.
admin-source-done-enabled = The source may send again.

admin-audit-title = Audit log
admin-audit-filters = Filter the audit log
admin-audit-actor = Actor
admin-audit-action = Action
admin-audit-unit = Unit code
admin-audit-from = From
admin-audit-to = To
admin-audit-at = Time
admin-audit-target = Target
admin-audit-detail = Detail
admin-audit-reset = Clear filters
admin-audit-help = Action: the exact name or a whole family ("user" finds user.create, user.update). Actor: part of the name, e.g. "tinh".
admin-audit-empty = No entry matches the filters.
admin-audit-bad-date = A date must be year-month-day.
admin-audit-cut = Looked at { $n } entries without filling a page; use "Older" to search on.
admin-audit-pages = Audit log pages
admin-audit-newest = ← Newest
admin-audit-older = Older →

## Reports (reports-…)
reports-title = Reports
reports-no-unit = Your account belongs to no unit yet.
reports-choose = Choose a unit and a period
reports-unit = Unit
reports-from = From
reports-to = To
reports-kind = Kind
reports-kind-all = Bulletins and alerts
reports-kind-bulletins = Bulletins
reports-kind-alerts = Alerts
reports-kind-bulletin = Bulletin
reports-kind-alert = CAP alert
reports-show = Show report
reports-exports = Export statistics
reports-exports-help = The half-yearly report closes on 30 May, the yearly one on 15 December; a reporting year starts on 16 December of the year before.
reports-period-chosen = Chosen period: { $range }
reports-period-half = Half-yearly report ({ $range })
reports-period-year = Yearly report ({ $range })
reports-view = View
reports-csv = Download CSV
reports-json = JSON
reports-stats = Statistics per commune
reports-generated = Figures as of { $when }
reports-commune = Commune
reports-boards = Boards
reports-online-ratio = Online ratio
reports-online-time = Time online
reports-airtime = Airtime
reports-bulletins-shown = Bulletins shown
reports-alerts-shown = Alerts shown
reports-total = Total
reports-charts = Charts
reports-data-table = Data table
reports-day = Day
reports-days-note = The per-day charts show the last 31 days only: { $range }.
reports-chart-ratio-communes = Online ratio per commune
reports-chart-ratio-communes-desc = Share of the time each commune's boards were online, { $range }.
reports-chart-airtime-communes = Airtime per commune
reports-chart-airtime-communes-desc = Time bulletins and alerts were on the screens of each commune's boards, { $range }.
reports-chart-ratio-days = Online ratio per day
reports-chart-ratio-days-desc = Share of each day the unit's boards were online, { $range }.
reports-chart-airtime-days = Airtime per day
reports-chart-airtime-days-desc = Time bulletins and alerts were on the unit's screens each day, { $range }.
reports-seconds = { $n } s
reports-minutes = { $n } min
reports-hours = { $n } h
reports-plays = { $n ->
    [one] 1 play
   *[other] { $n } plays
}
reports-deliveries = Bulletins and alerts sent to boards
reports-deliveries-help = Which boards received and showed each bulletin and alert (the 20 newest).
reports-deliveries-none = No bulletin or alert has concerned this unit yet.
reports-received-at = Received by the manager { $when }
reports-sum-targeted = { $n } boards targeted
reports-sum-received = { $n } received
reports-sum-shown = { $n } shown
reports-sum-waiting = { $n } waiting
reports-sum-failed = { $n } failed
reports-per-board = Per board
reports-per-board-of = Per board: { $title }
reports-board = Board
reports-state = State
reports-received = Received
reports-shown = Shown
reports-reason = Reason
reports-board-waiting = Waiting
reports-board-pending = Awaiting approval
reports-board-rejected = Rejected
reports-board-received = Received
reports-board-shown = Shown
reports-board-failed = Failed
reports-board-withdrawn = Withdrawn
reports-item-pending = pending approval
reports-item-live = live
reports-item-rejected = rejected
reports-item-cancelled = cancelled
reports-item-superseded = superseded
reports-item-not-live = not live (test)
reports-item-updated = updated
reports-priority-normal = Normal
reports-priority-priority = Priority
reports-priority-emergency = Emergency
