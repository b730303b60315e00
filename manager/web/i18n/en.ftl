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

# Essential information (page 7) and loudspeakers (page 8)
info-title = Essential information
info-unit = Unit
info-show = Show
info-queue = Bulletins awaiting approval
info-queue-empty = No bulletin is awaiting approval.
info-source = Source
info-communes = Communes
info-received = Received
info-edit-before = Edit before approving
info-field-title = Title
info-field-summary = Summary
info-field-text = Text
info-field-ticker = Ticker line
info-field-instruction = Instructions to the public (optional)
info-field-risk = Disaster risk level
info-field-expires = Valid until (required)
info-approve = Approve
info-reject = Reject
info-reject-reason = Reason for rejecting
info-reason-local = Not relevant to this commune
info-reason-duplicate = Duplicates a bulletin already shown
info-reason-outdated = Outdated
info-approved-by = Approved by { $name }.
info-rejected-by = Rejected by { $name }.
info-done-approved = Bulletin approved.
info-done-rejected = Bulletin rejected.
info-done-issued = Notice sent to the boards and loudspeakers.
info-done-cancelled = Notice cancelled.
info-level-emergency = Emergency
info-level-priority = Priority
info-level-normal = Normal
info-level-emergency-help = full screen at once, read out at once after a chime
info-level-priority-help = shown in bulletin rounds, read out once
info-risk = Risk level { $n }
info-risk-none = No risk level
info-active = Alerts and bulletins in force
info-active-empty = No alert or bulletin is in force.
info-area = Area
info-expires = Valid until
info-no-expiry = No expiry
info-delivery = Received
info-boards-received = boards
info-per-board = Per board
info-board-waiting = Waiting
info-board-pending = Awaiting approval
info-board-rejected = Rejected
info-board-received = Received
info-board-shown = Shown
info-board-failed = Not delivered
info-board-withdrawn = Withdrawn
info-local-source = Local notice of unit { $unit }
info-notices = Local notices
info-notices-empty = No local notice yet.
info-notice-new = Issue an emergency notice
info-notice-title = Issue a local notice
info-notice-help = The notice appears on every board and is read out on every loudspeaker of the unit. You will review exactly what is shown and where before it goes out.
info-notice-level = Level
info-notice-preview = Preview
info-notice-live = In force
info-notice-cancelled = Cancelled
info-notice-expired = Expired
info-notice-cancel = Cancel notice
info-issued = Issued
info-confirm-title = Confirm the notice
info-confirm-help = Check carefully: once you confirm, the notice appears at once on the boards and is read out on the loudspeakers below.
info-confirm-screen = What the boards will show
info-confirm-where = Where it goes
info-confirm-boards = { $n } boards:
info-confirm-zones = { $n } loudspeaker zones:
info-confirm-button = Confirm and send
info-confirm-edit = Edit
info-band-emergency = Emergency alert
info-band-priority = Important notice
info-instruction-label = Instructions:
info-valid-until = Valid until
speakers-title = Loudspeakers
speakers-empty = The unit has no loudspeaker zone.
speakers-stop-all = Stop all
speakers-reachable = Reachable
speakers-unreachable = Unreachable
speakers-connected = speakers connected
speakers-muted = muted
speakers-client-off = disconnected
speakers-volume = Emergency volume
speakers-speakers = Speakers
speakers-playing = Playing
speakers-idle = Nothing playing
speakers-last = Last announcement
speakers-error = Error
speakers-queued = Waiting to be read:
speakers-read-text = Text to read now
speakers-read-now = Read now
speakers-done-read = The text is queued to be read now.
speakers-done-stopped = Everything stopped ({ $n } announcements).
