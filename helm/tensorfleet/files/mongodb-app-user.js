// Creates or updates TensorFleet's own MongoDB user, with readWrite on its database only, so
// the API and the workers never hold the root password. Idempotent, so it runs on every start
// (compose's mongodb-init service, the chart's mongodb-user Job): a first install, an upgrade
// from a version that connected as root, and a changed password all end the same way.
// Everything comes from the environment, so no password is ever on a command line:
//   MONGO_HOST, MONGO_ROOT_USERNAME, MONGO_ROOT_PASSWORD, TENSORFLEET_DB,
//   MONGO_APP_USERNAME, MONGO_APP_PASSWORD
// Run with: mongosh --nodb --quiet mongodb-app-user.js
const env = process.env;
const quote = encodeURIComponent;
const rootUrl =
  `mongodb://${quote(env.MONGO_ROOT_USERNAME)}:${quote(env.MONGO_ROOT_PASSWORD)}` +
  `@${env.MONGO_HOST}/admin`;

function connectWhenUp(url, attempts) {
  for (let attempt = 1; ; attempt++) {
    try {
      const admin = connect(url);
      admin.runCommand({ ping: 1 });
      return admin;
    } catch (error) {
      if (attempt >= attempts) throw error;
      sleep(2000);
    }
  }
}

const target = connectWhenUp(rootUrl, 60).getSiblingDB(env.TENSORFLEET_DB);
const roles = [{ role: "readWrite", db: env.TENSORFLEET_DB }];
if (target.getUser(env.MONGO_APP_USERNAME)) {
  target.updateUser(env.MONGO_APP_USERNAME, { pwd: env.MONGO_APP_PASSWORD, roles: roles });
} else {
  target.createUser({ user: env.MONGO_APP_USERNAME, pwd: env.MONGO_APP_PASSWORD, roles: roles });
}
print(`user ${env.MONGO_APP_USERNAME}: readWrite on ${env.TENSORFLEET_DB} only`);
