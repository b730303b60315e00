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
