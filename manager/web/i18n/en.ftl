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
