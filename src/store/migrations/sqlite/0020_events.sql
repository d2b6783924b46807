-- Events between processes sharing this file (store.h, Store::listen): published rows are
-- polled by the listeners, and the oldest are removed as new ones arrive.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  payload TEXT NOT NULL
);
