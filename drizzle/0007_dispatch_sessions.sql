CREATE TABLE `dispatch_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text DEFAULT 'starting' NOT NULL,
	`cols` integer NOT NULL,
	`rows` integer NOT NULL,
	`pid` integer,
	`conversation_id` text,
	`exit_code` integer,
	`error` text,
	`created_at` text NOT NULL,
	`last_activity_at` text NOT NULL,
	`ended_at` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `dispatch_sessions_workspace_idx` ON `dispatch_sessions` (`workspace_id`,`status`);--> statement-breakpoint
CREATE INDEX `dispatch_sessions_status_idx` ON `dispatch_sessions` (`status`);