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

# Boards (dashboard, board page)
boards-count = { $n ->
    [one] { $n } board
   *[other] { $n } boards
}
boards-offline-count = { $n } offline
boards-online = Online
boards-offline = Offline
boards-disabled = Disabled
boards-never-seen = never connected
boards-seen = heard from { $ago }
boards-offline-for = silent for { $span }
boards-thumb-alt = Screen thumbnail of { $name }
boards-no-thumb = No screenshot yet
boards-unit = Unit
boards-group = Group
boards-groups = Board groups
boards-status = Status
boards-with-errors = With problems
boards-search = Board name
boards-none = No board matches.
boards-pages = Pages
boards-claim-title = Claim a new board by its pairing code
boards-claim-help = A new board shows an 8-character code on its screen. Type it here to bring the board into your unit.
boards-claim-code = Pairing code on the screen
boards-claim = Claim board
boards-claimed = Board claimed. Publish a show to it.
boards-name = Board name
boards-bulk = With the selected boards
boards-bulk-publish = Publish show
boards-bulk-reload = Reload
boards-bulk-group = Add to group
boards-bulk-none = No board selected.
boards-bulk-bad-action = Unknown action.
boards-bulk-done = done
boards-select-all = Select all on this page
boards-select = Select { $name }
boards-screen = Screen
boards-show = Show
boards-versions-help = Version on screen / newest version published
boards-shot-now = Take screenshot now
boards-shot-alt = Screenshot of the board
boards-shot-taken = Taken { $when }
boards-shot-arrived = New picture arrived { $when }
boards-shot-waiting = Waiting for the board's picture… ({ $n } s)
boards-shot-help = An offline board sends it when it reconnects.
boards-shot-refresh = Reload page
boards-reload = Reload show
boards-restart = Restart
boards-restart-confirm = Restart the player on this board?
boards-week = Last 7 days
boards-week-online = Online { $share } of the time
boards-settings = Name and groups
boards-display = Display plan
boards-display-off = Display off
boards-display-brightness = Brightness by time
boards-from = From
boards-to = To
boards-display-save = Save display plan
boards-plays-today = Played today
boards-plays-none = No proof of play today yet.
boards-plays-where = Layout / zone
boards-plays-what = Content
boards-plays-count = Plays
boards-plays-time = Time
boards-plays-csv = Download CSV report
boards-beats = Recent heartbeats and problems
boards-beats-none = No heartbeat yet.
boards-beat-at = At
boards-beat-errors = Problems

# Schedules
sched-none = No schedule yet.
sched-name = Schedule name
sched-target = Applies to
sched-target-unit = The whole unit (commune/ward)
sched-target-group = One board group
sched-target-board = One board
sched-target-unit-is = Unit: { $name }
sched-target-group-is = Group: { $name }
sched-target-board-is = Board: { $name }
sched-updated = Updated
sched-new = New schedule
sched-create = Create schedule
sched-week = This week (next 7 days)
sched-standby = Standby screen
sched-conflicts = Entries at the same time with the same priority (the later one plays):
sched-conflict = { $what }
sched-entry = Entry
sched-publish = Publish to the boards
sched-publish-help = Sends a new signed show to every board this schedule applies to.
sched-edit = Edit schedule
sched-default = Default layout (when no entry applies)
sched-layout = Layout
sched-no-entry = — (empty: no entry)
sched-daypart = Named daypart
sched-custom = Choose days and times
sched-priority = Priority
sched-weekdays = Days of the week (none: every day)
sched-valid-from = Valid from
sched-valid-to = Until (inclusive)
sched-add-help = To add an entry: pick a layout in the last, empty entry and save; an empty entry appears again after saving.
sched-bad-time = Times must be HH:MM, both start and end.
sched-bad-date = Invalid date.
sched-bad-priority = Priority must be a whole number.
sched-fix-fields = Not saved: fix the marked fields.
sched-published = Publish results
sched-received = { $n } received
sched-pending = { $n } pending
sched-offline = { $n } offline
sched-failed = { $n } failed
sched-state-received = received and on screen
sched-state-pending = downloading
sched-state-offline = offline, will receive it when back
daypart-office = Office hours (Mon–Fri, 7:00–11:30, 13:30–17:00)
daypart-morning = Morning (5:00–11:00)
daypart-noon = Noon (11:00–13:30)
daypart-afternoon = Afternoon (13:30–18:00)
daypart-evening = Evening (18:00–22:00)
daypart-night = Night (22:00–5:00)
daypart-weekend = Weekend (Sat, Sun)

# Offline boards
watch-long-title = { $n ->
    [one] { $n } board offline past its threshold
   *[other] { $n } boards offline past their threshold
}
watch-silent-for = silent for { $span }
watch-see-all = See every offline board
watch-settings = Offline alerts
watch-help = Boards silent longer than their unit's threshold are listed on the Boards page; with a webhook address, the manager calls it when a board goes offline and when it comes back.
watch-minutes = Offline threshold (minutes)
watch-webhook = Webhook address (optional)
watch-admin-only = Only administrators may change this.
watch-bad-minutes = The threshold must be a number of minutes.

table-region = Data table (scrolls sideways)

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

## Media library
media-title = Media library
media-library = Files
media-results = Upload results
media-open = Open
media-upload-title = Upload files
media-pick = Choose or drop files here (several at once)
media-limits = PNG, JPEG, WebP pictures; videos; audio. Limit: { $size }
media-upload-button = Upload
media-upload-ok = Uploaded.
media-upload-dup = Already in the library as “{ $name }”.
media-upload-dup-short = Already in the library.
media-upload-cut = The upload was interrupted
media-upload-waiting = Waiting…
media-upload-none = No file was chosen.
media-too-many = At most { $n } files per upload; this one was not uploaded.
media-unit = Unit
media-unit-open = Open unit
media-search = Search by name
media-kind = Type
media-kind-image = Picture
media-kind-video = Video
media-kind-audio = Audio
media-count = { $n ->
    [one] 1 file
   *[other] { $n } files
}
media-empty = The library has no files yet.
media-no-match = No file matches.
media-uploaded-at = Uploaded { $when }
media-unused = Not used
media-in-layouts = { $n ->
    [one] Used in 1 layout
   *[other] Used in { $n } layouts
}
media-on-boards = { $n ->
    [one] Playing on 1 board
   *[other] Playing on { $n } boards
}
media-pages = Library pages
media-page = Page
media-back = Media library
media-preview = Preview
media-no-player = This browser cannot play this file.
media-download = Download the file
media-facts = File details
media-fact-kind = Type
media-fact-size = Size
media-fact-dimensions = Dimensions
media-fact-duration = Duration
media-fact-codec = Codec
media-fact-uploaded = Uploaded
media-usage = Where it is used
media-usage-layouts = Layouts
media-usage-boards = Boards playing it
media-delete-title = Delete the file
media-delete-in-use = The file is in a published show of a board: the manager will refuse to delete it.
media-delete-layouts = Layouts use this file: once deleted, they cannot be published until the file is replaced.
media-delete-confirm = Delete “{ $name }” from the library?
media-deleted = Deleted “{ $name }”.

## Administration (admin-…)
admin-tabs = Administration sections
admin-tab-units = Units
admin-tab-users = Accounts
admin-tab-tokens = API tokens
admin-tab-sources = Sources
admin-tab-audit = Audit log
admin-tab-backups = Backups
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

admin-backups-title = Backups
admin-backups-help = Each backup holds all of the manager's data at one instant — accounts, files, layouts, schedules, boards, proof of play and the show-signing key — in the folder { $dir } on the server. The server takes one every day by itself (bangtin-manager-backup.timer). Copy backups off the server and guard them like the signing key.
admin-backups-keep = The { $n } newest are kept: after each backup, this manager's older ones are removed (backup_keep).
admin-backups-keep-all = Every backup is kept (backup_keep = 0): remove old ones yourself.
admin-backups-count = { $n ->
    [one] { $n } backup
   *[other] { $n } backups
}
admin-backups-none = No backup yet.
admin-backup-now = Back up now
admin-backup-now-help = The server keeps serving while it backs up; with many files it may take a few minutes.
admin-backup-taken = Taken
admin-backup-size = Size
admin-backup-contents = Contents
admin-backup-name = Folder
admin-backup-records = { $n ->
    [one] { $n } record
   *[other] { $n } records
}
admin-backup-media = { $n ->
    [one] { $n } file
   *[other] { $n } files
}
admin-backup-foreign = another manager's, never removed
admin-backup-done = Backup written: { $name }, taken { $when }, { $size }.
admin-backup-done-gone = Backup written: { $name }.
admin-backup-pruned = { $n ->
    [one] { $n } old backup removed.
   *[other] { $n } old backups removed.
}

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

## Layout editor
editor-nav = Layouts
editor-title = Screen layouts
editor-new = New layout
editor-new-name = New layout
editor-unit = Unit
editor-template = Start from a template
editor-tpl-full = Full screen
editor-tpl-main-ticker = Main content and ticker
editor-tpl-main-side-ticker = Main content, side column and ticker
editor-tpl-grid = Four panes (2×2)
editor-tpl-led = LED board 384×192
editor-tpl-portrait = Portrait screen
editor-tpl-commune = Commune office board
editor-tpl-blank = Blank board of any size
editor-blank-hint = Width and height apply to a blank board only (16–8192 pixels).
editor-start = Start editing
editor-none = No layouts yet.
editor-version = Version
editor-version-n = Version { $n }
editor-updated = Updated
editor-actions = Actions
editor-history = Version history
editor-current = current
editor-open-version = Open this version to edit
editor-editing-old = the current one is { $n }; saving makes a new version
editor-show = Show
editor-saved = Saved as version { $n }.
editor-has-errors = Not saved: correct the marked fields.
editor-save = Save as a new version
editor-board = Board
editor-board-drawing = The board drawn to scale
editor-board-fields = Board settings
editor-drag-hint = Drag a zone to move it, drag its edges to resize (mouse or finger); or type exact numbers for each zone.
editor-preview = Preview
editor-preview-at = Preview time
editor-preview-draft = Preview this draft
editor-preview-alt = Preview drawn by the player
editor-preview-of = Preview of version { $n }
editor-preview-working = Drawing the preview…
editor-preview-missing = The player program that draws previews was not found (looked at: { $looked }). Set BANGTIN_PLAYER or the player field of the configuration.
editor-preview-busy = The renderer is busy with another preview; try again in a moment.
editor-preview-timeout = Drawing the preview took longer than { $n } seconds and was stopped; the manager carries on.
editor-preview-failed = The player could not draw the preview: { $why }
editor-zones = Zones
editor-zone-title = Zone { $id }
editor-zone-more = More zone options
editor-playlist = Playlist
editor-item-more = Duration, validity, transition
editor-up = Up
editor-down = Down
editor-remove-item = Remove item
editor-add-item = Add item
editor-remove-zone = Delete zone
editor-add-zone = Add zone
editor-not-integer = A whole number is needed.
editor-not-number = A number is needed (e.g. 12 or 12.5).
editor-bad-choice = Not a valid choice.
editor-bad-padding = One number or two "vertical, horizontal", e.g. 40 or 40, 56.
editor-bad-form = The form is not valid.
editor-default = (default)
editor-yes = Yes
editor-no = No
editor-pick-media = — pick a library file —
editor-kind-image = Picture
editor-kind-text = Text
editor-kind-ticker = Ticker
editor-kind-clock = Clock
editor-kind-qr = QR code
editor-kind-video = Video
editor-f-name = Layout name
editor-f-board-name = Board name
editor-f-width = Width (px)
editor-f-height = Height (px)
editor-f-background = Background colour
editor-f-background_image = Background picture
editor-f-timezone = Time zone
editor-f-x = X (px)
editor-f-y = Y (px)
editor-f-w = Width (px)
editor-f-h = Height (px)
editor-f-zone-id = Zone id
editor-f-z = Layer (z)
editor-f-loop = Loop
editor-f-transition = Transition
editor-f-transition_ms = Transition time (ms)
editor-f-duration = Duration (seconds)
editor-f-valid_from = Valid from
editor-f-valid_to = Valid to
editor-f-src = File
editor-f-fit = Fit
editor-f-title = Title
editor-f-body = Body
editor-f-size = Text size (px)
editor-f-title_size = Title size (px)
editor-f-color = Text colour
editor-f-title_color = Title colour
editor-f-bold = Bold
editor-f-align = Alignment
editor-f-valign = Vertical alignment
editor-f-wrap = Wrap lines
editor-f-line_height = Line height
editor-f-padding = Padding (px)
editor-f-min_size = Smallest text size (px)
editor-f-text = Text
editor-f-speed = Speed (px/s)
editor-f-direction = Direction
editor-f-separator = Separator
editor-f-repeat = Times across (0 = endless)
editor-f-format = Format
editor-f-seconds = Show seconds
editor-f-data = QR content
editor-f-caption = Caption
editor-f-mute = Mute
editor-f-volume = Volume (0–1)
editor-f-start = Start at second
editor-opt-cut = Cut
editor-opt-crossfade = Crossfade
editor-opt-fit = Fit (keep ratio)
editor-opt-fill = Fill (crop)
editor-opt-stretch = Stretch
editor-opt-left = Left
editor-opt-center = Centre
editor-opt-right = Right
editor-opt-justify = Justify
editor-opt-top = Top
editor-opt-middle = Middle
editor-opt-bottom = Bottom
editor-opt-datetime = Date and time
editor-opt-date = Date
editor-opt-time = Time
editor-opt-long = Full date over the time
